package dev.fleetlab.leshan;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.eclipse.californium.elements.Connector;
import org.eclipse.californium.elements.UDPConnector;
import org.eclipse.californium.elements.config.UdpConfig;
import org.eclipse.leshan.core.endpoint.Protocol;
import org.eclipse.leshan.core.model.ObjectModel;
import org.eclipse.leshan.core.node.LwM2mPath;
import org.eclipse.leshan.core.node.TimestampedLwM2mNode;
import org.eclipse.leshan.core.observation.CompositeObservation;
import org.eclipse.leshan.core.observation.Observation;
import org.eclipse.leshan.core.observation.SingleObservation;
import org.eclipse.leshan.core.response.ObserveCompositeResponse;
import org.eclipse.leshan.core.response.ObserveResponse;
import org.eclipse.leshan.server.LeshanServer;
import org.eclipse.leshan.server.LeshanServerBuilder;
import org.eclipse.leshan.server.californium.endpoint.CaliforniumServerEndpoint;
import org.eclipse.leshan.server.californium.endpoint.CaliforniumServerEndpointsProvider;
import org.eclipse.leshan.server.californium.endpoint.coap.CoapServerProtocolProvider;
import org.eclipse.leshan.server.endpoint.LwM2mServerEndpoint;
import org.eclipse.leshan.server.model.VersionedModelProvider;
import org.eclipse.leshan.server.observation.ObservationListener;
import org.eclipse.leshan.server.registration.Registration;
import org.eclipse.leshan.server.registration.RegistrationListener;
import org.eclipse.leshan.server.registration.RegistrationUpdate;

/**
 * A Leshan LWM2M server (CoAP over UDP, no DTLS) with the HTTP control API of {@link ControlApi}, for interop tests and
 * side-by-side benchmarks. Leshan's own server demo is not on Maven Central; this is the library with a thin shell.
 *
 * <pre>
 * java -cp 'classes:lib/*' dev.fleetlab.leshan.InteropServer [--host 127.0.0.1] [--coap-port 5683]
 *      [--http-host &lt;host&gt;] [--http-port 8080] [--events 20000] [--fleetlab-trace] [--recv-buffer &lt;bytes&gt;]
 * </pre>
 * Port 0 picks a free port. --events is the event log's capacity (0: none, for benchmarks). --fleetlab-trace takes the
 * fleetlab trace records out of single-path SenML notifications before Leshan decodes them ({@link TraceStrippingDecoder}).
 * --recv-buffer asks for that UDP receive buffer on the CoAP socket (Californium's UdpConfig.UDP_RECEIVE_BUFFER_SIZE;
 * without it the OS default). Prints "READY coap=host:port http=host:port recv-buffer=&lt;bytes&gt;" when both listen
 * (recv-buffer: what the socket got as DatagramSocket.getReceiveBufferSize() says, -1 if unknown; on Linux the JDK
 * halves SO_RCVBUF, so this is what the kernel granted before doubling it); stops on SIGTERM or at the end of stdin.
 */
public final class InteropServer {

    private InteropServer() {
    }

    public static void main(String[] argv) throws Exception {
        Lifecycle.quietLogging();
        Args args = new Args(argv);
        String host = args.get("host", "127.0.0.1");
        int coapPort = args.getInt("coap-port", 5683);
        String httpHost = args.get("http-host", host);
        int httpPort = args.getInt("http-port", 8080);
        boolean fleetlabTrace = args.has("fleetlab-trace");

        Stats stats = new Stats();
        EventLog events = new EventLog(args.getInt("events", 20000));
        List<ObjectModel> models = Models.forServer();

        LeshanServerBuilder builder = new LeshanServerBuilder();
        builder.setObjectModelProvider(new VersionedModelProvider(models));
        if (fleetlabTrace) {
            builder.setDecoder(new TraceStrippingDecoder(stats));
        }
        CaliforniumServerEndpointsProvider.Builder endpoints = new CaliforniumServerEndpointsProvider.Builder(
                new CoapServerProtocolProvider());
        endpoints.addEndpoint(new InetSocketAddress(host, coapPort), Protocol.COAP);
        int recvBuffer = args.getInt("recv-buffer", 0);
        if (recvBuffer > 0) {
            endpoints.setConfiguration(c -> c.set(UdpConfig.UDP_RECEIVE_BUFFER_SIZE, recvBuffer));
        }
        builder.setEndpointsProviders(endpoints.build());
        LeshanServer server = builder.build();

        server.getRegistrationService().addListener(new Registrations(events, stats));
        server.getObservationService().addListener(new Notifications(events, stats, fleetlabTrace));
        ControlApi api = new ControlApi(server, events, stats, models, new InetSocketAddress(httpHost, httpPort));

        server.start();
        api.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            api.stop();
            server.destroy();
        }, "shutdown"));

        URI coap = server.getEndpoint(Protocol.COAP).getURI();
        System.out.println("READY coap=" + coap.getHost() + ":" + coap.getPort() + " http=" + httpHost + ":" + api.port()
                + " recv-buffer=" + receiveBuffer(server) + (fleetlabTrace ? " fleetlab-trace" : ""));
        System.out.flush();
        Lifecycle.exitAtEndOfStdin();
    }

    /** The receive buffer the CoAP endpoint's UDP socket got (as the socket reports it), or -1. */
    private static int receiveBuffer(LeshanServer server) {
        LwM2mServerEndpoint endpoint = server.getEndpoint(Protocol.COAP);
        if (endpoint instanceof CaliforniumServerEndpoint) {
            Connector connector = ((CaliforniumServerEndpoint) endpoint).getCoapEndpoint().getConnector();
            if (connector instanceof UDPConnector) {
                Integer size = ((UDPConnector) connector).getReceiveBufferSize();
                return size != null ? size : -1;
            }
        }
        return -1;
    }

    /** REGISTRATION, UPDATED and DEREGISTRATION events (Leshan demo's event names). */
    private static final class Registrations implements RegistrationListener {
        private final EventLog events;
        private final Stats stats;

        Registrations(EventLog events, Stats stats) {
            this.events = events;
            this.stats = stats;
        }

        @Override
        public void registered(Registration reg, Registration previousReg, Collection<Observation> previousObservations) {
            stats.registrations.incrementAndGet();
            events.add("REGISTRATION", ApiJson.registration(reg));
        }

        @Override
        public void updated(RegistrationUpdate update, Registration updatedReg, Registration previousReg) {
            stats.updates.incrementAndGet();
            events.add("UPDATED", ApiJson.registration(updatedReg));
        }

        @Override
        public void unregistered(Registration reg, Collection<Observation> observations, boolean expired,
                Registration newReg) {
            stats.deregistrations.incrementAndGet();
            Map<String, Object> fields = ApiJson.registration(reg);
            fields.put("expired", expired);
            events.add("DEREGISTRATION", fields);
        }
    }

    /** NOTIFICATION and NOTIFICATION_ERROR events, and the notification counters. */
    private static final class Notifications implements ObservationListener {
        private final EventLog events;
        private final Stats stats;
        private final boolean fleetlabTrace;

        Notifications(EventLog events, Stats stats, boolean fleetlabTrace) {
            this.events = events;
            this.stats = stats;
            this.fleetlabTrace = fleetlabTrace;
        }

        @Override
        public void onResponse(SingleObservation observation, Registration reg, ObserveResponse response) {
            stats.countNotification();
            Map<String, Object> trace = fleetlabTrace ? TraceStrippingDecoder.takeTrace() : null;
            if (!events.enabled()) {
                return;
            }
            Map<String, Object> fields = fields(reg);
            fields.put("path", observation.getPath().toString());
            fields.put("value", NodeJson.flatten(observation.getPath(), response.getContent()));
            TimestampedLwM2mNode timestamped = response.getTimestampedLwM2mNode();
            if (timestamped != null && timestamped.isTimestamped()) {
                fields.put("timestampMs", timestamped.getTimestamp().toEpochMilli());
            }
            if (trace != null) {
                fields.put("trace", trace);
            }
            events.add("NOTIFICATION", fields);
        }

        @Override
        public void onResponse(CompositeObservation observation, Registration reg, ObserveCompositeResponse response) {
            stats.countNotification();
            if (!events.enabled()) {
                return;
            }
            Map<String, Object> fields = fields(reg);
            fields.put("paths", paths(observation.getPaths()));
            fields.put("value", ApiJson.flattenAll(response.getContent()));
            events.add("NOTIFICATION", fields);
        }

        @Override
        public void onError(Observation observation, Registration reg, Exception error) {
            stats.notificationErrors.incrementAndGet();
            if (fleetlabTrace) {
                TraceStrippingDecoder.takeTrace();
            }
            Map<String, Object> fields = fields(reg);
            if (observation instanceof SingleObservation) {
                fields.put("path", ((SingleObservation) observation).getPath().toString());
            } else if (observation instanceof CompositeObservation) {
                fields.put("paths", paths(((CompositeObservation) observation).getPaths()));
            }
            fields.put("error", ApiJson.describe(error));
            events.add("NOTIFICATION_ERROR", fields);
        }

        @Override
        public void newObservation(Observation observation, Registration reg) {
        }

        @Override
        public void cancelled(Observation observation) {
        }

        private static Map<String, Object> fields(Registration reg) {
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("endpoint", reg == null ? null : reg.getEndpoint());
            fields.put("registrationId", reg == null ? null : reg.getId());
            return fields;
        }

        private static List<String> paths(List<LwM2mPath> paths) {
            List<String> out = new ArrayList<>();
            for (LwM2mPath p : paths) {
                out.add(p.toString());
            }
            return out;
        }
    }
}
