package dev.fleetlab.leshan;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.eclipse.leshan.core.model.LwM2mModel;
import org.eclipse.leshan.core.node.LwM2mPath;
import org.eclipse.leshan.core.node.TimestampedLwM2mNode;
import org.eclipse.leshan.core.node.codec.CodecException;
import org.eclipse.leshan.core.node.codec.DefaultLwM2mDecoder;
import org.eclipse.leshan.core.node.codec.senml.LwM2mResolvedSenMLRecord;
import org.eclipse.leshan.core.node.codec.senml.LwM2mSenMLResolver;
import org.eclipse.leshan.core.request.ContentFormat;
import org.eclipse.leshan.senml.SenMLException;
import org.eclipse.leshan.senml.SenMLPack;
import org.eclipse.leshan.senml.SenMLRecord;
import org.eclipse.leshan.senml.cbor.upokecenter.SenMLCborUpokecenterEncoderDecoder;
import org.eclipse.leshan.senml.json.jackson.SenMLJsonJacksonEncoderDecoder;

/**
 * Leshan's decoder, except that the fleetlab trace records (/33000/0/...) are taken out of a SenML notification for a
 * single path before Leshan decodes it (opt-in: InteropServer --fleetlab-trace).
 * <p>
 * Why: fleetlab's virtual devices append the trace to every notification (lib/lwm2m/trace.ts), and stock Leshan rejects a
 * single-path notification with a record outside the observed path ("Invalid path [/33000/0/0] for resource, it should
 * start by /3303/0/5700", LwM2mNodeSenMLDecoder). A benchmark needs Leshan to handle the same device load as our server,
 * and the trace gives it the send time. Leshan decodes a notification and calls the observation listeners on the same
 * thread (CaliforniumServerEndpointsProvider's NotificationListener), so the trace reaches the listener through a
 * thread-local.
 */
final class TraceStrippingDecoder extends DefaultLwM2mDecoder {

    private static final String TRACE_PREFIX = "/" + Models.TRACE_OBJECT_ID + "/";
    private static final ThreadLocal<Map<String, Object>> LAST_TRACE = new ThreadLocal<>();

    private final SenMLJsonJacksonEncoderDecoder senmlJson = new SenMLJsonJacksonEncoderDecoder();
    private final SenMLCborUpokecenterEncoderDecoder senmlCbor = new SenMLCborUpokecenterEncoderDecoder();
    private final Stats stats;

    TraceStrippingDecoder(Stats stats) {
        this.stats = stats;
    }

    /** The trace taken out of the notification this thread decoded last, or null; reading it clears it. */
    static Map<String, Object> takeTrace() {
        Map<String, Object> trace = LAST_TRACE.get();
        LAST_TRACE.remove();
        return trace;
    }

    @Override
    public List<TimestampedLwM2mNode> decodeTimestampedData(byte[] content, ContentFormat format, LwM2mPath path,
            LwM2mModel model) throws CodecException {
        LAST_TRACE.remove();
        boolean senml = ContentFormat.SENML_JSON.equals(format) || ContentFormat.SENML_CBOR.equals(format);
        if (senml && content != null && path.getObjectId() != Models.TRACE_OBJECT_ID) {
            content = strip(content, format);
        }
        return super.decodeTimestampedData(content, format, path, model);
    }

    private byte[] strip(byte[] content, ContentFormat format) {
        try {
            SenMLPack pack = ContentFormat.SENML_JSON.equals(format) ? senmlJson.fromSenML(content)
                    : senmlCbor.fromSenML(content);
            LwM2mSenMLResolver resolver = new LwM2mSenMLResolver();
            List<SenMLRecord> kept = new ArrayList<>();
            Map<String, Object> trace = new LinkedHashMap<>();
            for (SenMLRecord record : pack.getRecords()) {
                LwM2mResolvedSenMLRecord resolved = resolver.resolve(record);
                if (resolved.getName().startsWith(TRACE_PREFIX)) {
                    traceField(trace, resolved.getName(), record);
                    continue;
                }
                // Base name and time carry over to the following records (RFC 8428 §4.1): make each kept record
                // stand alone so that taking records out changes nothing for the others.
                record.setBaseName(null);
                record.setName(resolved.getName());
                record.setBaseTime(null);
                record.setTime(resolved.getTimeStamp());
                kept.add(record);
            }
            if (trace.isEmpty()) {
                return content;
            }
            stats.tracesStripped.incrementAndGet();
            LAST_TRACE.set(trace);
            pack.setRecords(kept);
            return ContentFormat.SENML_JSON.equals(format) ? senmlJson.toSenML(pack) : senmlCbor.toSenML(pack);
        } catch (SenMLException e) {
            return content; // not valid SenML: let Leshan's decoder report it
        }
    }

    private static void traceField(Map<String, Object> trace, String name, SenMLRecord record) {
        switch (name.substring(TRACE_PREFIX.length())) {
        case "0/0":
            trace.put("seq", record.getNumberValue() == null ? null : record.getNumberValue().longValue());
            break;
        case "0/1":
            trace.put("sentAtMs", record.getNumberValue() == null ? null : record.getNumberValue().longValue());
            break;
        case "0/2":
            trace.put("deviceId", record.getStringValue());
            break;
        default:
            trace.put(name, NodeJson.value(record.getResourceValue()));
        }
    }
}
