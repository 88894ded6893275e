package io.usertcp.tools.demo;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds programs on the PATH (and the usual sbin folders), and says how to install a missing one. */
public final class Programs {
    private Programs() {}

    /** Whether {@code command} is installed. */
    public static boolean has(String command) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/bin:/bin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    /**
     * @return {@code null} when {@code command} is installed, otherwise one line saying how to get it
     */
    public static String missing(String command, String debianPackage, String neededFor) {
        return has(command) ? null
                : "no '" + command + "' command (needed for " + neededFor + "): install it with apt-get install " + debianPackage;
    }
}
