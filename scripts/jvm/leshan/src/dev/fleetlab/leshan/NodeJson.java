package dev.fleetlab.leshan;

import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

import org.eclipse.leshan.core.node.LwM2mNode;
import org.eclipse.leshan.core.node.LwM2mObject;
import org.eclipse.leshan.core.node.LwM2mObjectInstance;
import org.eclipse.leshan.core.node.LwM2mPath;
import org.eclipse.leshan.core.node.LwM2mResource;
import org.eclipse.leshan.core.node.LwM2mResourceInstance;
import org.eclipse.leshan.core.node.ObjectLink;
import org.eclipse.leshan.core.util.datatype.ULong;

/**
 * An LWM2M node as a flat JSON object, path to value, the same whatever content format carried it:
 * {"/3/0/0": "Eclipse Leshan", "/3/0/11/0": 0}. Easy to assert on from a test and to compare across formats.
 */
final class NodeJson {

    private NodeJson() {
    }

    /** @param path the path the node was read at (a node knows its own id, not its parents') */
    static Map<String, Object> flatten(LwM2mPath path, LwM2mNode node) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (node != null) {
            add(out, path, node);
        }
        return out;
    }

    private static void add(Map<String, Object> out, LwM2mPath path, LwM2mNode node) {
        if (node instanceof LwM2mObject) {
            for (LwM2mObjectInstance instance : ((LwM2mObject) node).getInstances().values()) {
                add(out, new LwM2mPath(path.getObjectId(), instance.getId()), instance);
            }
        } else if (node instanceof LwM2mObjectInstance) {
            int instanceId = ((LwM2mObjectInstance) node).getId();
            for (LwM2mResource resource : ((LwM2mObjectInstance) node).getResources().values()) {
                add(out, new LwM2mPath(path.getObjectId(), instanceId, resource.getId()), resource);
            }
        } else if (node instanceof LwM2mResource) {
            LwM2mResource resource = (LwM2mResource) node;
            LwM2mPath resourcePath = new LwM2mPath(path.getObjectId(), path.getObjectInstanceId(), resource.getId());
            if (resource.isMultiInstances()) {
                for (LwM2mResourceInstance instance : resource.getInstances().values()) {
                    out.put(resourcePath + "/" + instance.getId(), value(instance.getValue()));
                }
            } else {
                out.put(resourcePath.toString(), value(resource.getValue()));
            }
        } else if (node instanceof LwM2mResourceInstance) {
            out.put(path.toString(), value(((LwM2mResourceInstance) node).getValue()));
        }
    }

    /** Strings, numbers and booleans as they are; time as ISO-8601, opaque as hex, object links as "3:0", unsigned as a JSON number. */
    static Object value(Object v) {
        if (v instanceof Date) {
            return ((Date) v).toInstant().toString();
        }
        if (v instanceof byte[]) {
            return HexFormat.of().formatHex((byte[]) v);
        }
        if (v instanceof ObjectLink) {
            ObjectLink link = (ObjectLink) v;
            return link.getObjectId() + ":" + link.getObjectInstanceId();
        }
        if (v instanceof ULong) {
            return ((ULong) v).toBigInteger();
        }
        if (v instanceof String || v instanceof Number || v instanceof Boolean || v == null) {
            return v;
        }
        return v.toString();
    }
}
