package dev.fleetlab.leshan;

import java.util.ArrayList;
import java.util.List;

import org.eclipse.leshan.core.model.ObjectLoader;
import org.eclipse.leshan.core.model.ObjectModel;
import org.eclipse.leshan.core.model.ResourceModel;
import org.eclipse.leshan.core.model.ResourceModel.Operations;
import org.eclipse.leshan.core.model.ResourceModel.Type;

/**
 * The object models the harness knows. Leshan's jar ships the OMA core objects (0..7, 21); the IPSO sensors fleetlab
 * simulates (3301, 3303, 3304, 3315) and fleetlab's private trace object 33000 are added here, transcribed from
 * lib/lwm2m/objects.ts (test/platform/leshan/harness.test.ts compares them through GET /api/models).
 */
final class Models {

    static final int TRACE_OBJECT_ID = 33000;

    private Models() {
    }

    /** Every version of each object: a server resolves the model by the version a client registers (LWM2M 1.1 §6.2.1.1). */
    static List<ObjectModel> forServer() {
        List<ObjectModel> models = ObjectLoader.loadAllDefault();
        // IPSO objects without ver= in the registration are version 1.0; the 1.1 table is a superset of 1.0.
        for (String version : new String[] { "1.0", "1.1" }) {
            models.addAll(ipsoSensors(version));
        }
        models.add(trace());
        return models;
    }

    /** One version of each object: what a client implements. */
    static List<ObjectModel> forClient() {
        List<ObjectModel> models = ObjectLoader.loadDefault();
        models.addAll(ipsoSensors("1.1"));
        models.add(trace());
        return models;
    }

    private static List<ObjectModel> ipsoSensors(String version) {
        List<ObjectModel> sensors = new ArrayList<>();
        sensors.add(ipsoSensor(3301, "Illuminance", version));
        sensors.add(ipsoSensor(3303, "Temperature", version));
        sensors.add(ipsoSensor(3304, "Humidity", version));
        sensors.add(ipsoSensor(3315, "Barometer", version));
        return sensors;
    }

    /** The resources IPSO 1.1 gives every generic sensor object. */
    private static ObjectModel ipsoSensor(int id, String name, String version) {
        List<ResourceModel> resources = List.of(
                resource(5700, "Sensor Value", Operations.R, true, Type.FLOAT, ""),
                resource(5601, "Min Measured Value", Operations.R, false, Type.FLOAT, ""),
                resource(5602, "Max Measured Value", Operations.R, false, Type.FLOAT, ""),
                resource(5603, "Min Range Value", Operations.R, false, Type.FLOAT, ""),
                resource(5604, "Max Range Value", Operations.R, false, Type.FLOAT, ""),
                resource(5701, "Sensor Units", Operations.R, false, Type.STRING, ""),
                resource(5605, "Reset Min and Max Measured Values", Operations.E, false, Type.NONE, ""),
                resource(5750, "Application Type", Operations.RW, false, Type.STRING, ""),
                resource(5518, "Timestamp", Operations.R, false, Type.TIME, ""),
                resource(6050, "Fractional Timestamp", Operations.R, false, Type.FLOAT, "s"),
                resource(6042, "Measurement Quality Indicator", Operations.R, false, Type.INTEGER, ""),
                resource(6049, "Measurement Quality Level", Operations.R, false, Type.INTEGER, ""));
        return new ObjectModel(id, name, "", version, true, false, resources,
                "urn:oma:lwm2m:ext:" + id + ":" + version, "1.0", "");
    }

    /** fleetlab trace: sequence, send time and device id riding with every traced notification (lib/lwm2m/trace.ts). */
    private static ObjectModel trace() {
        List<ResourceModel> resources = List.of(
                resource(0, "Sequence", Operations.R, true, Type.UNSIGNED_INTEGER, ""),
                resource(1, "Send Time ms", Operations.R, true, Type.INTEGER, "ms"),
                resource(2, "Device ID", Operations.R, true, Type.STRING, ""));
        return new ObjectModel(TRACE_OBJECT_ID, "fleetlab trace", "", "1.0", false, false, resources,
                "urn:oma:lwm2m:x:" + TRACE_OBJECT_ID, "1.1", "");
    }

    private static ResourceModel resource(int id, String name, Operations operations, boolean mandatory, Type type,
            String units) {
        return new ResourceModel(id, name, operations, false, mandatory, type, "", units, "");
    }
}
