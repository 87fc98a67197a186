package dev.fleetlab.leshan;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the server saw (REGISTRATION, UPDATED, DEREGISTRATION, NOTIFICATION, NOTIFICATION_ERROR), numbered from 1, for a
 * test to poll with GET /api/events?since=n. Bounded: the oldest events go first, so a long benchmark keeps flat memory
 * (a poller sees a gap in seq); capacity 0 records nothing.
 */
final class EventLog {

    private final int capacity;
    private final ArrayDeque<Map<String, Object>> events = new ArrayDeque<>();
    private long nextSeq = 1;

    EventLog(int capacity) {
        this.capacity = capacity;
    }

    /** False when the capacity is 0: callers skip building events nobody will read. */
    boolean enabled() {
        return capacity > 0;
    }

    /** @param fields the event's fields in the order they should print; seq, type and receivedAtMs come first */
    synchronized void add(String type, Map<String, Object> fields) {
        long seq = nextSeq++;
        if (capacity == 0) {
            return;
        }
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("seq", seq);
        event.put("type", type);
        event.put("receivedAtMs", System.currentTimeMillis());
        event.putAll(fields);
        if (events.size() == capacity) {
            events.removeFirst();
        }
        events.addLast(event);
    }

    synchronized List<Map<String, Object>> since(long seq) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> event : events) {
            if ((Long) event.get("seq") > seq) {
                out.add(event);
            }
        }
        return out;
    }
}
