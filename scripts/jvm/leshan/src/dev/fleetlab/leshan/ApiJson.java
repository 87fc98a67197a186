package dev.fleetlab.leshan;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.eclipse.leshan.core.link.Link;
import org.eclipse.leshan.core.model.ObjectModel;
import org.eclipse.leshan.core.model.ResourceModel;
import org.eclipse.leshan.core.node.LwM2mNode;
import org.eclipse.leshan.core.node.LwM2mPath;
import org.eclipse.leshan.core.node.TimestampedLwM2mNode;
import org.eclipse.leshan.core.request.BindingMode;
import org.eclipse.leshan.core.response.DiscoverResponse;
import org.eclipse.leshan.core.response.LwM2mResponse;
import org.eclipse.leshan.core.response.ReadCompositeResponse;
import org.eclipse.leshan.core.response.ReadResponse;
import org.eclipse.leshan.core.LwM2m.Version;
import org.eclipse.leshan.server.registration.Registration;

/** What the control API and the event log print, as maps and lists that Jackson writes as JSON. */
final class ApiJson {

    private ApiJson() {
    }

    /** A device's answer: {code, success, error?, content? (flat, see NodeJson), timestampMs?, links?}. */
    static Map<String, Object> response(LwM2mPath path, LwM2mResponse response) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("code", response.getCode().getName());
        out.put("success", response.isSuccess());
        if (response.getErrorMessage() != null && !response.getErrorMessage().isEmpty()) {
            out.put("error", response.getErrorMessage());
        }
        if (response instanceof ReadResponse) {
            ReadResponse read = (ReadResponse) response;
            out.put("content", NodeJson.flatten(path, read.getContent()));
            TimestampedLwM2mNode timestamped = read.getTimestampedLwM2mNode();
            if (timestamped != null && timestamped.isTimestamped()) {
                out.put("timestampMs", timestamped.getTimestamp().toEpochMilli());
            }
        } else if (response instanceof ReadCompositeResponse) {
            out.put("content", flattenAll(((ReadCompositeResponse) response).getContent()));
        } else if (response instanceof DiscoverResponse) {
            List<String> links = new ArrayList<>();
            for (Link link : ((DiscoverResponse) response).getObjectLinks()) {
                links.add(link.toCoreLinkFormat());
            }
            out.put("links", links);
        }
        return out;
    }

    static Map<String, Object> flattenAll(Map<LwM2mPath, LwM2mNode> nodes) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (nodes != null) {
            nodes.forEach((p, node) -> out.putAll(NodeJson.flatten(p, node)));
        }
        return out;
    }

    static Map<String, Object> registration(Registration reg) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("endpoint", reg.getEndpoint());
        out.put("registrationId", reg.getId());
        out.put("address", reg.getAddress().getHostAddress() + ":" + reg.getPort());
        out.put("lifetime", reg.getLifeTimeInSec());
        out.put("lwm2mVersion", reg.getLwM2mVersion().toString());
        out.put("bindingMode", BindingMode.toString(reg.getBindingMode()));
        out.put("registrationDateMs", reg.getRegistrationDate().getTime());
        out.put("lastUpdateMs", reg.getLastUpdate().getTime());
        List<String> links = new ArrayList<>();
        for (Link link : reg.getObjectLinks()) {
            links.add(link.toCoreLinkFormat());
        }
        out.put("objectLinks", links);
        return out;
    }

    /** [{id, version, name, resources: {id: type}}], by object id then version. */
    static List<Map<String, Object>> models(List<ObjectModel> models) {
        List<ObjectModel> ordered = new ArrayList<>(models);
        ordered.sort(Comparator.comparing((ObjectModel m) -> m.id).thenComparing(m -> new Version(m.version)));
        List<Map<String, Object>> out = new ArrayList<>();
        for (ObjectModel model : ordered) {
            Map<String, Object> resources = new LinkedHashMap<>();
            for (ResourceModel r : model.resources.values()) {
                resources.put(String.valueOf(r.id), r.type.toString());
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", model.id);
            m.put("version", model.version);
            m.put("name", model.name);
            m.put("resources", resources);
            out.add(m);
        }
        return out;
    }

    /** The exception and its causes, outermost first: Leshan puts the reason a payload was refused in a cause. */
    static String describe(Throwable e) {
        StringBuilder out = new StringBuilder(e.getClass().getSimpleName()).append(": ").append(e.getMessage());
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            out.append(" <- ").append(c.getMessage());
        }
        return out.toString();
    }
}
