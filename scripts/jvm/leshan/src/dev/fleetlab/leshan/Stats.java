package dev.fleetlab.leshan;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import com.sun.management.OperatingSystemMXBean;

/** Counters for GET /api/stats: what a side-by-side benchmark needs to compare servers (throughput and CPU). */
final class Stats {

    final AtomicLong registrations = new AtomicLong();
    final AtomicLong updates = new AtomicLong();
    final AtomicLong deregistrations = new AtomicLong();
    final AtomicLong notifications = new AtomicLong();
    final AtomicLong notificationErrors = new AtomicLong();
    final AtomicLong tracesStripped = new AtomicLong();

    // notifications per wall-clock second: the current second's count and the one before it
    private long second;
    private long current;
    private long previous;

    void countNotification() {
        notifications.incrementAndGet();
        long now = System.currentTimeMillis() / 1000;
        synchronized (this) {
            if (now != second) {
                previous = now == second + 1 ? current : 0;
                second = now;
                current = 0;
            }
            current++;
        }
    }

    /** Notifications received during the last complete second. */
    synchronized long lastSecond() {
        long now = System.currentTimeMillis() / 1000;
        if (now == second) {
            return previous;
        }
        return now == second + 1 ? current : 0;
    }

    Map<String, Object> toJson(int registered) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("registrations", registered);
        out.put("registrationsTotal", registrations.get());
        out.put("updates", updates.get());
        out.put("deregistrations", deregistrations.get());
        out.put("notifications", notifications.get());
        out.put("notificationsLastSecond", lastSecond());
        out.put("notificationErrors", notificationErrors.get());
        out.put("tracesStripped", tracesStripped.get());
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        out.put("cpuMs", os.getProcessCpuTime() / 1_000_000);
        Runtime rt = Runtime.getRuntime();
        out.put("heapUsedBytes", rt.totalMemory() - rt.freeMemory());
        out.put("uptimeMs", ManagementFactory.getRuntimeMXBean().getUptime());
        return out;
    }
}
