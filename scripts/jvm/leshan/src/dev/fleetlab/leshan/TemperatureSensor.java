package dev.fleetlab.leshan;

import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.eclipse.leshan.client.resource.BaseInstanceEnabler;
import org.eclipse.leshan.client.servers.LwM2mServer;
import org.eclipse.leshan.core.Destroyable;
import org.eclipse.leshan.core.model.ObjectModel;
import org.eclipse.leshan.core.request.argument.Arguments;
import org.eclipse.leshan.core.response.ExecuteResponse;
import org.eclipse.leshan.core.response.ReadResponse;

/**
 * IPSO 3303 Temperature whose Sensor Value changes every period (a slow sine around 21 °C, two decimals), so an observer
 * of /3303/0/5700 gets a notification each period. It ticks on a thread of its own, or on a ticker shared by many
 * sensors ({@link InteropClients}: one JVM, many clients, and no harness thread per client in their memory).
 */
final class TemperatureSensor extends BaseInstanceEnabler implements Destroyable {

    private static final int SENSOR_VALUE = 5700;
    private static final int MIN_MEASURED = 5601;
    private static final int MAX_MEASURED = 5602;
    private static final int UNITS = 5701;
    private static final int RESET_MIN_MAX = 5605;

    /** Its own ticker, shut down by destroy(); null on a shared ticker. */
    private final ScheduledExecutorService ownTicker;
    private final ScheduledFuture<?> ticking;
    private long step;
    private double value = 21.0;
    private double min = value;
    private double max = value;

    TemperatureSensor(long periodMs) {
        this(periodMs, null);
    }

    /** On `sharedTicker` when not null (destroy() then cancels this sensor's ticks only), else on a thread of its own. */
    TemperatureSensor(long periodMs, ScheduledExecutorService sharedTicker) {
        ownTicker = sharedTicker != null ? null : Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "temperature");
            t.setDaemon(true);
            return t;
        });
        ScheduledExecutorService ticker = sharedTicker != null ? sharedTicker : ownTicker;
        ticking = ticker.scheduleAtFixedRate(this::tick, periodMs, periodMs, TimeUnit.MILLISECONDS);
    }

    private void tick() {
        synchronized (this) {
            step++;
            value = Math.round((21.0 + 2.0 * Math.sin(step / 30.0 * Math.PI) + (step % 2) * 0.01) * 100) / 100.0;
            min = Math.min(min, value);
            max = Math.max(max, value);
        }
        fireResourceChange(SENSOR_VALUE);
    }

    @Override
    public synchronized ReadResponse read(LwM2mServer server, int resourceId) {
        switch (resourceId) {
        case SENSOR_VALUE:
            return ReadResponse.success(resourceId, value);
        case MIN_MEASURED:
            return ReadResponse.success(resourceId, min);
        case MAX_MEASURED:
            return ReadResponse.success(resourceId, max);
        case UNITS:
            return ReadResponse.success(resourceId, "Cel");
        default:
            return super.read(server, resourceId);
        }
    }

    @Override
    public synchronized ExecuteResponse execute(LwM2mServer server, int resourceId, Arguments arguments) {
        if (resourceId == RESET_MIN_MAX) {
            min = value;
            max = value;
            return ExecuteResponse.success();
        }
        return super.execute(server, resourceId, arguments);
    }

    @Override
    public List<Integer> getAvailableResourceIds(ObjectModel model) {
        return List.of(SENSOR_VALUE, MIN_MEASURED, MAX_MEASURED, UNITS, RESET_MIN_MAX);
    }

    @Override
    public void destroy() {
        ticking.cancel(false);
        if (ownTicker != null) {
            ownTicker.shutdownNow();
        }
    }
}
