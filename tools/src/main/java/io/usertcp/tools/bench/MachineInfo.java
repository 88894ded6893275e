package io.usertcp.tools.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What the numbers were measured on: CPU, cores, kernel, JVM, and the load average before and
 * after (other work on the machine moves every figure, ours and the kernel's alike).
 */
public record MachineInfo(String cpu, int cores, String kernel, String jvm, long memoryMegabytes, double loadBefore) {

    /** The machine this JVM runs on, now. */
    public static MachineInfo current() {
        return new MachineInfo(cpuModel(), Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.version"),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
                totalMemoryMegabytes(), loadAverage());
    }

    /** The 1-minute load average ({@code /proc/loadavg}), NaN when unknown. */
    public static double loadAverage() {
        try {
            String text = Files.readString(Path.of("/proc/loadavg")).trim();
            return Double.parseDouble(text.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    private static String cpuModel() {
        return firstValue(Path.of("/proc/cpuinfo"), "model name", "unknown CPU");
    }

    private static long totalMemoryMegabytes() {
        String total = firstValue(Path.of("/proc/meminfo"), "MemTotal", "0 kB");
        try {
            return Long.parseLong(total.replace("kB", "").trim()) / 1024;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String firstValue(Path file, String key, String fallback) {
        try {
            List<String> lines = Files.readAllLines(file);
            for (String line : lines) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equals(key)) {
                    return line.substring(colon + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            return fallback;
        }
        return fallback;
    }

    /** One line for the table's heading. */
    public String describe() {
        return cpu + " (" + cores + " cores), " + memoryMegabytes + " MB, " + kernel + ", " + jvm;
    }
}
