package dev.fleetlab.leshan;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.eclipse.leshan.core.model.ObjectModel;
import org.eclipse.leshan.core.node.LwM2mPath;
import org.eclipse.leshan.core.node.LwM2mSingleResource;
import org.eclipse.leshan.core.node.codec.CodecException;
import org.eclipse.leshan.core.node.codec.text.LwM2mNodeTextDecoder;
import org.eclipse.leshan.core.observation.Observation;
import org.eclipse.leshan.core.observation.SingleObservation;
import org.eclipse.leshan.core.request.CancelObservationRequest;
import org.eclipse.leshan.core.request.ContentFormat;
import org.eclipse.leshan.core.request.DiscoverRequest;
import org.eclipse.leshan.core.request.DownlinkRequest;
import org.eclipse.leshan.core.request.ExecuteRequest;
import org.eclipse.leshan.core.request.ObserveCompositeRequest;
import org.eclipse.leshan.core.request.ObserveRequest;
import org.eclipse.leshan.core.request.ReadRequest;
import org.eclipse.leshan.core.request.WriteRequest;
import org.eclipse.leshan.core.request.exception.InvalidRequestException;
import org.eclipse.leshan.core.response.LwM2mResponse;
import org.eclipse.leshan.server.LeshanServer;
import org.eclipse.leshan.server.registration.Registration;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * The harness's HTTP control API, modelled on the REST API of Leshan's server demo (paths under /api/clients are the
 * demo's), on the JDK's own HTTP server. Every answer is JSON except /api/events (JSON lines). Routes:
 * <pre>
 * GET    /api/clients                                   registrations
 * GET    /api/clients/{ep}                              one registration (404 if unknown)
 * GET    /api/clients/{ep}/{path}?format=&amp;timeout=      Read            -> {code, success, content: {path: value}}
 * GET    /api/clients/{ep}/{path}/discover              Discover        -> {code, success, links: [...]}
 * PUT    /api/clients/{ep}/{o}/{i}/{r}?format=          Write (Replace) one resource; body: its value as text
 * POST   /api/clients/{ep}/{o}/{i}/{r}                  Execute; body: arguments (optional)
 * POST   /api/clients/{ep}/{path}/observe?format=       Observe         -> the first value, then NOTIFICATION events
 * DELETE /api/clients/{ep}/{path}/observe[?active]      cancel (passive: forget it; active: also Cancel-Observe)
 * POST   /api/clients/{ep}/composite/observe?paths=a,b&amp;format=   Observe-Composite (SenML only)
 * DELETE /api/clients/{ep}/composite/observe?paths=a,b
 * GET    /api/events?since=n                            events with seq &gt; n, one JSON object a line
 * GET    /api/stats                                     counters (Stats)
 * GET    /api/models                                    known object models: [{id, version, resources: {id: type}}]
 * </pre>
 * format is TLV, SENML_JSON, SENML_CBOR, TEXT, ... (Leshan's ContentFormat names); timeout in seconds (default 5).
 */
final class ControlApi {

    private static final long DEFAULT_TIMEOUT_MS = 5000;

    private final LeshanServer server;
    private final EventLog events;
    private final Stats stats;
    private final List<ObjectModel> models;
    private final ObjectMapper json = new ObjectMapper();
    private final HttpServer http;
    private final ExecutorService executor;

    ControlApi(LeshanServer server, EventLog events, Stats stats, List<ObjectModel> models, InetSocketAddress address)
            throws IOException {
        this.server = server;
        this.events = events;
        this.stats = stats;
        this.models = models;
        http = HttpServer.create(address, 128);
        // Device requests block for up to their timeout: a few threads keep the API answering meanwhile.
        executor = Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "control-api");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(executor);
        http.createContext("/api/", this::handle);
    }

    void start() {
        http.start();
    }

    void stop() {
        http.stop(0);
        executor.shutdownNow();
    }

    int port() {
        return http.getAddress().getPort();
    }

    private static final class HttpError extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        HttpError(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try {
            route(ex);
        } catch (HttpError e) {
            send(ex, e.status, Map.of("error", e.getMessage()));
        } catch (InvalidRequestException | CodecException | IllegalArgumentException e) {
            send(ex, 400, Map.of("error", String.valueOf(e.getMessage())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            send(ex, 503, Map.of("error", "interrupted"));
        } catch (Exception e) {
            // RequestRejected/Canceled, InvalidResponse, ClientSleeping: the device or the exchange with it failed
            send(ex, 502, Map.of("error", ApiJson.describe(e)));
        } finally {
            ex.close();
        }
    }

    private void route(HttpExchange ex) throws Exception {
        String method = ex.getRequestMethod();
        List<String> parts = new ArrayList<>();
        for (String p : ex.getRequestURI().getRawPath().split("/")) {
            if (!p.isEmpty()) {
                // percent-decoding only: an endpoint name may hold '+' (URLDecoder alone would make it a space)
                parts.add(URLDecoder.decode(p.replace("+", "%2B"), StandardCharsets.UTF_8));
            }
        }
        parts.remove(0); // "api"
        Map<String, String> query = query(ex.getRequestURI().getRawQuery());
        String first = parts.isEmpty() ? "" : parts.get(0);

        if (parts.size() == 1 && method.equals("GET")) {
            switch (first) {
            case "events":
                sendEvents(ex, Long.parseLong(query.getOrDefault("since", "0")));
                return;
            case "stats":
                send(ex, 200, stats.toJson(countRegistrations()));
                return;
            case "models":
                send(ex, 200, ApiJson.models(models));
                return;
            case "clients":
                List<Map<String, Object>> list = new ArrayList<>();
                server.getRegistrationService().getAllRegistrations()
                        .forEachRemaining(reg -> list.add(ApiJson.registration(reg)));
                send(ex, 200, list);
                return;
            default:
            }
        }
        if (!first.equals("clients") || parts.size() < 2) {
            throw new HttpError(404, "no route " + method + " " + ex.getRequestURI().getPath());
        }

        Registration reg = server.getRegistrationService().getByEndpoint(parts.get(1));
        if (reg == null) {
            throw new HttpError(404, "no registered client with endpoint '" + parts.get(1) + "'");
        }
        List<String> rest = parts.subList(2, parts.size());
        if (rest.isEmpty() && method.equals("GET")) {
            send(ex, 200, ApiJson.registration(reg));
            return;
        }
        long timeout = query.containsKey("timeout") ? Long.parseLong(query.get("timeout")) * 1000 : DEFAULT_TIMEOUT_MS;
        ContentFormat format = query.containsKey("format") ? ContentFormat.fromName(query.get("format").toUpperCase())
                : null;
        if (query.containsKey("format") && format == null) {
            throw new HttpError(400, "unknown format '" + query.get("format") + "' (TLV, SENML_JSON, SENML_CBOR, TEXT, ...)");
        }
        String last = rest.get(rest.size() - 1);

        if (rest.equals(List.of("composite", "observe"))) {
            String[] paths = query.getOrDefault("paths", "").split(",");
            if (method.equals("POST")) {
                ContentFormat f = format != null ? format : ContentFormat.SENML_CBOR;
                sendResponse(ex, null, deviceRequest(reg, new ObserveCompositeRequest(f, f, paths), timeout));
            } else if (method.equals("DELETE")) {
                send(ex, 200, Map.of("cancelled", server.getObservationService().cancelCompositeObservations(reg, paths)));
            } else {
                throw new HttpError(405, method + " not allowed here");
            }
            return;
        }

        if (last.equals("observe") && rest.size() >= 2) {
            String target = "/" + String.join("/", rest.subList(0, rest.size() - 1));
            if (method.equals("POST")) {
                sendResponse(ex, new LwM2mPath(target), deviceRequest(reg, new ObserveRequest(format, target), timeout));
            } else if (method.equals("DELETE")) {
                cancelObservation(ex, reg, target, query.containsKey("active"), timeout);
            } else {
                throw new HttpError(405, method + " not allowed here");
            }
            return;
        }

        if (last.equals("discover") && method.equals("GET")) {
            String target = "/" + String.join("/", rest.subList(0, rest.size() - 1));
            sendResponse(ex, new LwM2mPath(target), deviceRequest(reg, new DiscoverRequest(target), timeout));
            return;
        }

        String target = "/" + String.join("/", rest);
        LwM2mPath path = new LwM2mPath(target);
        switch (method) {
        case "GET":
            sendResponse(ex, path, deviceRequest(reg, new ReadRequest(format, target), timeout));
            return;
        case "PUT":
            sendResponse(ex, path, deviceRequest(reg, write(reg, path, format, body(ex)), timeout));
            return;
        case "POST":
            if (!path.isResource()) {
                throw new HttpError(400, "execute needs a resource path /{o}/{i}/{r}");
            }
            String args = body(ex);
            sendResponse(ex, path,
                    deviceRequest(reg, new ExecuteRequest(target, args.isEmpty() ? null : args), timeout));
            return;
        default:
            throw new HttpError(405, method + " not allowed here");
        }
    }

    private <T extends LwM2mResponse> T deviceRequest(Registration reg, DownlinkRequest<T> request, long timeoutMs)
            throws Exception {
        T response = server.send(reg, request, timeoutMs);
        if (response == null) {
            throw new HttpError(504, "no response from the device within " + timeoutMs + " ms");
        }
        return response;
    }

    /** Write (Replace) of one resource, its text value typed by the registration's model (Leshan's text decoder). */
    private WriteRequest write(Registration reg, LwM2mPath path, ContentFormat format, String text) throws HttpError {
        if (!path.isResource()) {
            throw new HttpError(400, "write needs a resource path /{o}/{i}/{r}");
        }
        LwM2mSingleResource value = new LwM2mNodeTextDecoder().decode(text.getBytes(StandardCharsets.UTF_8), path,
                server.getModelProvider().getObjectModel(reg), LwM2mSingleResource.class);
        return new WriteRequest(WriteRequest.Mode.REPLACE, format != null ? format : ContentFormat.TEXT,
                path.toString(), value);
    }

    private void cancelObservation(HttpExchange ex, Registration reg, String target, boolean active, long timeoutMs)
            throws Exception {
        if (active) {
            for (Observation o : server.getObservationService().getObservations(reg)) {
                if (o instanceof SingleObservation && ((SingleObservation) o).getPath().equals(new LwM2mPath(target))) {
                    // Cancel-Observe (RFC 7641 §3.6): a GET with Observe=1 and the observation's token
                    LwM2mResponse response = deviceRequest(reg, new CancelObservationRequest((SingleObservation) o),
                            timeoutMs);
                    server.getObservationService().cancelObservations(reg, target);
                    sendResponse(ex, new LwM2mPath(target), response);
                    return;
                }
            }
            throw new HttpError(404, "no observation of " + target + " for '" + reg.getEndpoint() + "'");
        }
        // Passive: the server forgets it and answers the next notification with a Reset (RFC 7641 §3.6).
        send(ex, 200, Map.of("cancelled", server.getObservationService().cancelObservations(reg, target)));
    }

    private void sendResponse(HttpExchange ex, LwM2mPath path, LwM2mResponse response) throws IOException {
        send(ex, 200, ApiJson.response(path, response));
    }

    private int countRegistrations() {
        int n = 0;
        for (Iterator<Registration> it = server.getRegistrationService().getAllRegistrations(); it.hasNext(); it.next()) {
            n++;
        }
        return n;
    }

    private void sendEvents(HttpExchange ex, long since) throws IOException {
        StringBuilder lines = new StringBuilder();
        for (Map<String, Object> event : events.since(since)) {
            lines.append(json.writeValueAsString(event)).append('\n');
        }
        byte[] bytes = lines.toString().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/x-ndjson");
        ex.sendResponseHeaders(200, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            ex.getResponseBody().write(bytes);
        }
    }

    private void send(HttpExchange ex, int status, Object body) throws IOException {
        byte[] bytes = json.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    private static String body(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null) {
            return out;
        }
        for (String pair : Arrays.asList(raw.split("&"))) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.put(key, value);
        }
        return out;
    }
}
