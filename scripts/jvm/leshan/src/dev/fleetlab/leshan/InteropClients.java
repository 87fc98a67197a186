package dev.fleetlab.leshan;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.leshan.client.LeshanClient;
import org.eclipse.leshan.client.observer.LwM2mClientObserverAdapter;
import org.eclipse.leshan.client.servers.LwM2mServer;
import org.eclipse.leshan.core.ResponseCode;
import org.eclipse.leshan.core.model.LwM2mModel;
import org.eclipse.leshan.core.model.LwM2mModelRepository;
import org.eclipse.leshan.core.request.DeregisterRequest;
import org.eclipse.leshan.core.request.RegisterRequest;

/**
 * Many Leshan clients in one JVM, each the stock client {@link InteropClient} builds (its own Californium endpoint,
 * socket and threads), for measuring what a Leshan client costs: the object model and the 3303 sensors' ticker are
 * shared, so the harness adds no thread per client.
 *
 * <pre>
 * java -cp 'classes:lib/*' dev.fleetlab.leshan.InteropClients [--server coap://127.0.0.1:5683] [--prefix leshan-]
 *      [--lifetime 300] [--period-ms 1000] [--local-address &lt;ip&gt;] [--register-timeout-ms 120000]
 * </pre>
 * Prints "READY" once the model is loaded, then answers commands on stdin, one a line:
 * <pre>
 * clients &lt;n&gt;   start clients &lt;prefix&gt;0.. (or deregister and destroy the last ones) until n run; when the new ones have
 *               registered (or --register-timeout-ms passed): "CLIENTS running=n registered=k failures=f ms=t"
 * memory        System.gc() three times, then "MEMORY clients=n registered=k heapUsed=b heapCommitted=b nonHeapUsed=b
 *               rss=b threads=t" (heap from the MemoryMXBean, rss: VmRSS of /proc/self/status, -1 if unknown)
 * </pre>
 * A command it cannot do is "ERROR &lt;message&gt;". At the end of stdin (or SIGTERM) every client deregisters and it exits.
 */
public final class InteropClients {

    private static final class Slot {
        final LeshanClient client;
        final AtomicBoolean registered = new AtomicBoolean();

        Slot(LeshanClient client) {
            this.client = client;
        }
    }

    private final String serverUri;
    private final String prefix;
    private final long lifetime;
    private final int periodMs;
    private final InetAddress localAddress;
    private final long registerTimeoutMs;
    private final LwM2mModel model;
    private final ScheduledThreadPoolExecutor ticker;
    private final List<Slot> slots = new ArrayList<>();
    private final AtomicLong failures = new AtomicLong();

    private InteropClients(Args args) throws IOException {
        serverUri = args.get("server", "coap://127.0.0.1:5683");
        prefix = args.get("prefix", "leshan-");
        lifetime = args.getInt("lifetime", 300);
        periodMs = args.getInt("period-ms", 1000);
        localAddress = args.has("local-address") ? InetAddress.getByName(args.get("local-address", null)) : null;
        registerTimeoutMs = args.getInt("register-timeout-ms", 120_000);
        model = new LwM2mModelRepository(Models.forClient()).getLwM2mModel();
        ticker = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "temperature");
            t.setDaemon(true);
            return t;
        });
        ticker.setRemoveOnCancelPolicy(true);
    }

    public static void main(String[] argv) throws Exception {
        Lifecycle.quietLogging();
        InteropClients host = new InteropClients(new Args(argv));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            synchronized (host) {
                host.shrink(0);
            }
        }, "shutdown"));
        line("READY");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String command = in.readLine(); command != null; command = in.readLine()) {
            try {
                synchronized (host) {
                    host.handle(command.trim());
                }
            } catch (Exception e) {
                line("ERROR " + e.getMessage());
            }
        }
        System.exit(0);
    }

    private void handle(String command) throws Exception {
        String[] words = command.split("\\s+");
        if (words.length == 2 && words[0].equals("clients")) {
            resize(Integer.parseInt(words[1]));
        } else if (words.length == 1 && words[0].equals("memory")) {
            memory();
        } else if (!command.isEmpty()) {
            throw new IllegalArgumentException("unknown command '" + command + "' (clients <n>, memory)");
        }
    }

    private void resize(int n) throws InterruptedException {
        if (n < 0) {
            throw new IllegalArgumentException("clients: expected a number >= 0, got " + n);
        }
        long t0 = System.nanoTime();
        if (n < slots.size()) {
            shrink(n);
        } else {
            List<Slot> started = new ArrayList<>();
            for (int i = slots.size(); i < n; i++) {
                Slot slot = start(prefix + i);
                slots.add(slot);
                started.add(slot);
            }
            long deadline = t0 + registerTimeoutMs * 1_000_000;
            while (System.nanoTime() < deadline && started.stream().anyMatch(s -> !s.registered.get())) {
                Thread.sleep(20);
            }
        }
        line("CLIENTS running=" + slots.size() + " registered=" + registered() + " failures=" + failures.get() + " ms="
                + (System.nanoTime() - t0) / 1_000_000);
    }

    private Slot start(String endpoint) {
        LeshanClient client = InteropClient.build(endpoint, serverUri, lifetime, periodMs, localAddress, model, ticker);
        Slot slot = new Slot(client);
        client.addObserver(new LwM2mClientObserverAdapter() {
            @Override
            public void onRegistrationSuccess(LwM2mServer server, RegisterRequest request, String registrationId) {
                slot.registered.set(true);
            }

            @Override
            public void onRegistrationFailure(LwM2mServer server, RegisterRequest request, ResponseCode code,
                    String message, Exception cause) {
                failures.incrementAndGet();
            }

            @Override
            public void onRegistrationTimeout(LwM2mServer server, RegisterRequest request) {
                failures.incrementAndGet();
            }

            @Override
            public void onDeregistrationSuccess(LwM2mServer server, DeregisterRequest request) {
                slot.registered.set(false);
            }
        });
        client.start();
        return slot;
    }

    /** Deregisters and destroys the clients beyond the first `n`, 16 at a time. */
    private void shrink(int n) {
        if (slots.size() <= n) {
            return;
        }
        List<Slot> gone = new ArrayList<>(slots.subList(n, slots.size()));
        slots.subList(n, slots.size()).clear();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(16, gone.size()));
        for (Slot s : gone) {
            pool.execute(() -> {
                s.client.destroy(true);
                s.registered.set(false);
            });
        }
        pool.shutdown();
        try {
            pool.awaitTermination(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private long registered() {
        return slots.stream().filter(s -> s.registered.get()).count();
    }

    private void memory() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        MemoryMXBean bean = ManagementFactory.getMemoryMXBean();
        MemoryUsage heap = bean.getHeapMemoryUsage();
        line("MEMORY clients=" + slots.size() + " registered=" + registered() + " heapUsed=" + heap.getUsed()
                + " heapCommitted=" + heap.getCommitted() + " nonHeapUsed=" + bean.getNonHeapMemoryUsage().getUsed()
                + " rss=" + rss() + " threads=" + ManagementFactory.getThreadMXBean().getThreadCount());
    }

    /** VmRSS of this process in bytes (Linux), or -1. */
    private static long rss() {
        try {
            for (String l : Files.readAllLines(Paths.get("/proc/self/status"), StandardCharsets.UTF_8)) {
                if (l.startsWith("VmRSS:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux
        }
        return -1;
    }

    private static void line(String text) {
        System.out.println(text);
        System.out.flush();
    }
}
