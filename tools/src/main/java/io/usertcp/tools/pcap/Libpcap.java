package io.usertcp.tools.pcap;

import com.sun.jna.NativeLibrary;
import java.io.IOException;

/**
 * Finds the system's libpcap before pcap4j touches it. pcap4j loads the library in a static
 * initializer and reports a missing one with a misleading message the first time (and a
 * {@code NoClassDefFoundError} every time after), so we look first and say what to install.
 */
public final class Libpcap {
    /** The Debian/Ubuntu package that holds {@code libpcap.so.0.8}. */
    public static final String PACKAGE = "libpcap0.8";
    /** The system property pcap4j reads for the library's name ({@code pcap} unless set). */
    public static final String LIBRARY_NAME_PROPERTY = "org.pcap4j.core.pcapLibName";

    /** Thrown when libpcap cannot be loaded; the message is the one line to show the user. */
    public static final class MissingException extends IOException {
        private static final long serialVersionUID = 1L;

        MissingException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static volatile boolean found;

    private Libpcap() {}

    /** The library name pcap4j will load. */
    public static String libraryName() {
        return System.getProperty(LIBRARY_NAME_PROPERTY, "pcap");
    }

    /**
     * Loads libpcap once, or fails.
     *
     * @throws MissingException "libpcap not found (...): install the package libpcap0.8 ..."
     */
    public static void require() throws MissingException {
        if (found) {
            return;
        }
        String name = libraryName();
        try {
            NativeLibrary.getInstance(name);
            found = true;
        } catch (UnsatisfiedLinkError e) {
            throw new MissingException("libpcap not found (library '" + name + "'): install the package " + PACKAGE
                    + " (apt-get install " + PACKAGE + ")", e);
        }
    }
}
