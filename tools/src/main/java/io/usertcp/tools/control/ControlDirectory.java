package io.usertcp.tools.control;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;

/**
 * Where control sockets live, and the check that nobody else can plant or replace one there.
 *
 * <p>Anyone who can write into the directory could put a fake stack (a socket that answers what it
 * likes) or a symlink in it, so a directory is used only when it is private: a real directory (no
 * symlink is followed), owned by this user, writable by nobody else. One that is not is refused,
 * never repaired: its owner may have made it so on purpose. There is no fallback into a shared
 * temporary directory, whose names anyone can take first.
 */
public final class ControlDirectory {
    /** Where control sockets live for root. */
    public static final Path RUN_DIRECTORY = Path.of("/run/usertcp");
    /** Overrides the directory (tests, non-root experiments). */
    public static final String DIRECTORY_ENV = "USERTCP_CONTROL_DIR";
    /** The per-user runtime directory (XDG Base Directory Specification), private to its user. */
    public static final String XDG_RUNTIME_DIR = "XDG_RUNTIME_DIR";

    private static final Set<PosixFilePermission> OTHERS_WRITE = Set.of(
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);

    private ControlDirectory() {}

    /** A directory that cannot be used for control sockets; the message says which, why, and what to do. */
    public static final class RefusedException extends Exception {
        private static final long serialVersionUID = 1L;

        public RefusedException(String message) {
            super(message);
        }
    }

    /** {@link #choose(Map)} with this process's environment. */
    public static Path choose() throws RefusedException {
        return choose(System.getenv());
    }

    /**
     * The directory to use when none was named: {@code $USERTCP_CONTROL_DIR}; else
     * {@code /run/usertcp} when this user may use it (root); else {@code $XDG_RUNTIME_DIR/usertcp}
     * when that runtime directory is set and private; else none.
     *
     * @throws RefusedException when there is no private place; the message names --control-dir and --socket
     */
    public static Path choose(Map<String, String> env) throws RefusedException {
        return choose(env, Files.isDirectory(RUN_DIRECTORY, LinkOption.NOFOLLOW_LINKS)
                ? Files.isWritable(RUN_DIRECTORY) : Files.isWritable(RUN_DIRECTORY.getParent()));
    }

    /** {@link #choose(Map)}, told whether this user may use {@code /run/usertcp} (tests run as root). */
    static Path choose(Map<String, String> env, boolean runDirectoryUsable) throws RefusedException {
        String explicit = env.get(DIRECTORY_ENV);
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        if (runDirectoryUsable) {
            return RUN_DIRECTORY;
        }
        String xdg = env.get(XDG_RUNTIME_DIR);
        if (xdg == null || xdg.isBlank()) {
            throw new RefusedException("no private directory for control sockets: " + RUN_DIRECTORY
                    + " is not writable for this user (not root?) and $" + XDG_RUNTIME_DIR + " is not set; name one with"
                    + " --control-dir DIR (a directory of yours, mode 0700) or --socket PATH, or set $" + DIRECTORY_ENV);
        }
        Path runtime = Path.of(xdg);
        String problem = problem(runtime);
        if (problem != null) {
            throw new RefusedException("$" + XDG_RUNTIME_DIR + " " + runtime + " is not private (" + problem
                    + "); name a directory with --control-dir DIR or --socket PATH, or set $" + DIRECTORY_ENV);
        }
        return runtime.resolve("usertcp");
    }

    /**
     * Creates {@code dir} with mode 0700 when it does not exist, then checks it is private.
     *
     * @throws RefusedException when it exists and is not private, or cannot be made
     */
    public static void createPrivate(Path dir) throws RefusedException {
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            // the umask may have taken bits away, never added; set exactly 0700 anyway
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (FileAlreadyExistsException e) {
            // checked below, as it is: an existing directory is never changed
        } catch (NoSuchFileException e) {
            throw new RefusedException("cannot create the control directory " + dir + ": its parent "
                    + dir.getParent() + " does not exist; name another with --control-dir DIR");
        } catch (IOException | UnsupportedOperationException e) {
            throw new RefusedException("cannot create the control directory " + dir + " (" + e
                    + "); name another with --control-dir DIR");
        }
        requirePrivate(dir);
    }

    /**
     * Refuses {@code dir} unless it is private.
     *
     * @throws RefusedException when it is a symlink, not a directory, owned by someone else, or
     *                          writable by group or others
     */
    public static void requirePrivate(Path dir) throws RefusedException {
        String problem = problem(dir);
        if (problem != null) {
            throw new RefusedException("refusing the control directory " + dir + ": " + problem
                    + " (anyone who can write there could plant a fake stack); use a directory of yours with mode 0700,"
                    + " or name one with --control-dir DIR or --socket PATH");
        }
    }

    /** Why {@code dir} is not private, or null when it is; reads its attributes without following a symlink. */
    static String problem(Path dir) {
        PosixFileAttributes attributes;
        try {
            attributes = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return "it does not exist";
        } catch (IOException | UnsupportedOperationException e) {
            return "its owner and mode cannot be read: " + e;
        }
        if (attributes.isSymbolicLink()) {
            return "it is a symbolic link";
        }
        if (!attributes.isDirectory()) {
            return "it is not a directory";
        }
        long owner;
        try {
            owner = ((Number) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "its owner cannot be read: " + e;
        }
        long me = currentUid();
        if (owner != me) {
            return "it is owned by uid " + owner + " (" + attributes.owner().getName() + "), not by this user (uid " + me + ")";
        }
        Set<PosixFilePermission> permissions = attributes.permissions();
        for (PosixFilePermission p : OTHERS_WRITE) {
            if (permissions.contains(p)) {
                return "its mode is " + PosixFilePermissions.toString(permissions) + ", writable by "
                        + (p == PosixFilePermission.GROUP_WRITE ? "its group" : "others");
            }
        }
        return null;
    }

    /** This process's user id. */
    static long currentUid() {
        return new com.sun.security.auth.module.UnixSystem().getUid();
    }
}
