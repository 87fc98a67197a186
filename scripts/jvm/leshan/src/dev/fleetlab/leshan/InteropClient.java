package dev.fleetlab.leshan;

import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;

import org.eclipse.leshan.client.LeshanClient;
import org.eclipse.leshan.client.LeshanClientBuilder;
import org.eclipse.leshan.client.californium.endpoint.CaliforniumClientEndpointsProvider;
import org.eclipse.leshan.client.californium.endpoint.coap.CoapClientProtocolProvider;
import org.eclipse.leshan.client.object.Device;
import org.eclipse.leshan.client.object.Security;
import org.eclipse.leshan.client.object.Server;
import org.eclipse.leshan.client.observer.LwM2mClientObserverAdapter;
import org.eclipse.leshan.client.resource.BaseInstanceEnablerFactory;
import org.eclipse.leshan.client.resource.LwM2mInstanceEnabler;
import org.eclipse.leshan.client.resource.LwM2mObjectEnabler;
import org.eclipse.leshan.client.resource.ObjectsInitializer;
import org.eclipse.leshan.client.servers.LwM2mServer;
import org.eclipse.leshan.core.LwM2mId;
import org.eclipse.leshan.core.ResponseCode;
import org.eclipse.leshan.core.model.LwM2mModel;
import org.eclipse.leshan.core.model.LwM2mModelRepository;
import org.eclipse.leshan.core.request.DeregisterRequest;
import org.eclipse.leshan.core.request.RegisterRequest;
import org.eclipse.leshan.core.request.UpdateRequest;

/**
 * A Leshan LWM2M client (CoAP over UDP, no DTLS) with objects 0 Security, 1 Server, 3 Device and 3303 Temperature (a
 * value that changes every --period-ms), for interop tests against an LWM2M server.
 *
 * <pre>
 * java -cp 'classes:lib/*' dev.fleetlab.leshan.InteropClient --endpoint &lt;name&gt; [--server coap://127.0.0.1:5683]
 *      [--lifetime 300] [--period-ms 1000] [--local-address &lt;ip&gt;]
 * </pre>
 * Prints one line per registration event: "REGISTERED &lt;registration id&gt;", "REGISTRATION_FAILED &lt;code&gt; &lt;message&gt;",
 * "REGISTRATION_TIMEOUT", "UPDATED", "DEREGISTERED". Deregisters and stops on SIGTERM or when stdin reaches end of file.
 */
public final class InteropClient {

    private static final int SHORT_SERVER_ID = 123;
    private static final int TEMPERATURE = 3303;

    private InteropClient() {
    }

    public static void main(String[] argv) throws Exception {
        Lifecycle.quietLogging();
        Args args = new Args(argv);
        String endpoint = args.required("endpoint");
        String serverUri = args.get("server", "coap://127.0.0.1:5683");
        long lifetime = args.getInt("lifetime", 300);

        int periodMs = args.getInt("period-ms", 1000);
        InetAddress localAddress = args.has("local-address") ? InetAddress.getByName(args.get("local-address", null))
                : null;
        LeshanClient client = build(endpoint, serverUri, lifetime, periodMs, localAddress,
                new LwM2mModelRepository(Models.forClient()).getLwM2mModel(), null);
        client.addObserver(new StatusLines());

        client.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> client.destroy(true), "shutdown"));
        Lifecycle.exitAtEndOfStdin();
    }

    /**
     * A stock Leshan client (not started) with the objects above: `model` may be shared by many clients, and so may
     * `ticker` (the 3303 sensor's; null: a thread of its own). `localAddress` null: any.
     */
    static LeshanClient build(String endpoint, String serverUri, long lifetime, int periodMs, InetAddress localAddress,
            LwM2mModel model, ScheduledExecutorService ticker) {
        ObjectsInitializer objects = new ObjectsInitializer(model);
        objects.setInstancesForObject(LwM2mId.SECURITY, Security.noSec(serverUri, SHORT_SERVER_ID));
        objects.setInstancesForObject(LwM2mId.SERVER, new Server(SHORT_SERVER_ID, lifetime));
        objects.setInstancesForObject(LwM2mId.DEVICE, new Device("fleetlab", "Leshan client 2.0.0-M15", endpoint));
        objects.setInstancesForObject(TEMPERATURE, new TemperatureSensor(periodMs, ticker));
        // 3303 is multi-instance: a server may Create more, and Leshan wants a factory for them
        objects.setFactoryForObject(TEMPERATURE, new BaseInstanceEnablerFactory() {
            @Override
            public LwM2mInstanceEnabler create() {
                return new TemperatureSensor(periodMs, ticker);
            }
        });
        List<LwM2mObjectEnabler> enablers = objects.create(LwM2mId.SECURITY, LwM2mId.SERVER, LwM2mId.DEVICE,
                TEMPERATURE);

        CaliforniumClientEndpointsProvider.Builder endpoints = new CaliforniumClientEndpointsProvider.Builder(
                new CoapClientProtocolProvider());
        if (localAddress != null) {
            endpoints.setClientAddress(localAddress);
        }
        LeshanClientBuilder builder = new LeshanClientBuilder(endpoint);
        builder.setObjects(enablers);
        builder.setEndpointsProviders(endpoints.build());
        return builder.build();
    }

    /** One stdout line per registration event, for the harness to wait on. */
    private static final class StatusLines extends LwM2mClientObserverAdapter {
        @Override
        public void onRegistrationSuccess(LwM2mServer server, RegisterRequest request, String registrationId) {
            line("REGISTERED " + registrationId);
        }

        @Override
        public void onRegistrationFailure(LwM2mServer server, RegisterRequest request, ResponseCode code,
                String message, Exception cause) {
            line("REGISTRATION_FAILED " + code + " " + (message != null ? message : cause));
        }

        @Override
        public void onRegistrationTimeout(LwM2mServer server, RegisterRequest request) {
            line("REGISTRATION_TIMEOUT");
        }

        @Override
        public void onUpdateSuccess(LwM2mServer server, UpdateRequest request) {
            line("UPDATED");
        }

        @Override
        public void onDeregistrationSuccess(LwM2mServer server, DeregisterRequest request) {
            line("DEREGISTERED");
        }

        private static void line(String text) {
            System.out.println(text);
            System.out.flush();
        }
    }
}
