package io.usertcp.tun;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/** A network namespace's identity: the device and inode of its nsfs file. */
record NamespaceId(long device, long inode) {
    private static final Path THREAD_NAMESPACE = Path.of("/proc/thread-self/ns/net");

    static NamespaceId of(Path nsfsFile) {
        try {
            Map<String, Object> attributes = Files.readAttributes(nsfsFile, "unix:dev,ino");
            return new NamespaceId((Long) attributes.get("dev"), (Long) attributes.get("ino"));
        } catch (NoSuchFileException e) {
            throw new IllegalStateException("no such namespace file: " + nsfsFile, e);
        } catch (IOException | UnsupportedOperationException e) {
            throw new IllegalStateException("cannot stat " + nsfsFile + ": " + e, e);
        }
    }

    /** The namespace of the calling thread (not of the process: setns is per thread). */
    static NamespaceId ofCurrentThread() {
        return of(THREAD_NAMESPACE);
    }

    @Override
    public String toString() {
        return "net:[" + inode + "] on device " + device;
    }
}
