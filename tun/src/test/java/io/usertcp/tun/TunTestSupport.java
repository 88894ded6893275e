package io.usertcp.tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.usertcp.ip.ChecksumPolicy;
import io.usertcp.ip.PacketDecoder;
import io.usertcp.testkit.TestPackets;
import io.usertcp.wire.DropReason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Assumptions;

/**
 * What the kernel tests share: deciding whether they can run (under {@code CI=true} they must: a
 * missing piece fails them with its reason; elsewhere they are skipped with it), checking that
 * nothing of ours is left in the root namespace, and waiting for a datagram on a {@link TunLink}.
 */
public final class TunTestSupport {
    static final String KERNEL_SIDE = "198.18.0.1";
    static final String STACK_SIDE = "198.18.0.2";

    private TunTestSupport() {}

    /** Fails (CI) or skips (elsewhere) unless namespaces with TUN devices work here. */
    public static void requireTun() {
        unavailable(TunSupport.probe());
    }

    /** Fails (CI) or skips (elsewhere) unless {@code command} is installed. */
    public static void requireCommand(String command, String debianPackage) {
        unavailable(findCommand(command) != null ? null
                : "no '" + command + "' command: install " + debianPackage + " (apt-get install " + debianPackage + ")");
    }

    /** The absolute path of {@code command} on the PATH or in the usual sbin directories, or null. */
    public static String findCommand(String command) {
        for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/bin:/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return Path.of(dir, command).toString();
            }
        }
        return null;
    }

    private static void unavailable(String reason) {
        if (reason == null) {
            return;
        }
        if ("true".equals(System.getenv("CI"))) {
            fail("the TUN tests must run under CI=true, but cannot: " + reason);
        }
        Assumptions.abort(reason);
    }

    /** DESIGN.md §10: no TUN device in the root namespace, no namespace of this JVM left. */
    public static void assertNothingLeftInRootNamespace() {
        String ip = TunSupport.ipCommand();
        ExecResult tunDevices = Commands.run(List.of(ip, "-o", "link", "show", "type", "tun"), Duration.ofSeconds(10));
        assertTrue(tunDevices.succeeded(), tunDevices::describe);
        assertEquals("", tunDevices.output().strip(), "TUN devices in the root namespace");
        assertTrue(ourNamespaces().isEmpty(), () -> "namespaces of this JVM left: " + ourNamespaces());
    }

    /** The names in /run/netns that this JVM created ({@code ...-pPID-nSEQ}). */
    public static List<String> ourNamespaces() {
        String marker = "-p" + ProcessHandle.current().pid() + "-n";
        if (!Files.isDirectory(NetworkNamespace.NETNS_DIR)) {
            return List.of();
        }
        try (var entries = Files.list(NetworkNamespace.NETNS_DIR)) {
            return entries.map(p -> p.getFileName().toString()).filter(n -> n.contains(marker)).sorted().toList();
        } catch (IOException e) {
            throw new AssertionError("cannot list " + NetworkNamespace.NETNS_DIR, e);
        }
    }

    /** A decoder that accepts datagrams for the stack side, checksums verified. */
    static PacketDecoder stackSideDecoder() {
        int local = TestPackets.SERVER.bits();
        return new PacketDecoder(address -> address == local, ChecksumPolicy.VERIFY);
    }

    /**
     * Waits (at most {@code timeout}, real time: the TUN layer is the one place with a real clock)
     * for a datagram that {@code decoder} accepts and {@code wanted} matches; others are released.
     *
     * @return the datagram, owned by the caller; fails the test when none came in time
     */
    static ByteBuf awaitDatagram(TunLink link, PacketDecoder decoder, Predicate<PacketDecoder> wanted, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        StringBuilder seen = new StringBuilder();
        for (long left = timeout.toNanos(); left > 0; left = deadline - System.nanoTime()) {
            link.awaitReadable(left);
            ByteBuf packet;
            while ((packet = link.receive()) != null) {
                DropReason reason = decoder.decode(packet);
                if (reason == null && wanted.test(decoder)) {
                    return packet;
                }
                seen.append(reason == null ? "unwanted" : reason.name()).append(' ').append(packet.readableBytes()).append("B; ");
                packet.release();
            }
        }
        throw new AssertionError("no wanted datagram within " + timeout + " (seen: " + seen + ")");
    }
}
