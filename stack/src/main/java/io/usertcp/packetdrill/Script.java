package io.usertcp.packetdrill;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed packetdrill script.
 *
 * @param name    the file name (for messages)
 * @param options the {@code --name=value} header lines, in order
 * @param events  the events in script order
 */
public record Script(String name, Map<String, String> options, List<Event> events) {
    public Script {
        options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
        events = List.copyOf(events);
    }

    /** An option's value, or {@code fallback} when the script does not set it. */
    public String option(String key, String fallback) {
        return options.getOrDefault(key, fallback);
    }
}
