package io.usertcp.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17: the library's Javadoc builds with no error and no warning, checked by the test command.
 * The JDK's own javadoc tool (no Maven plugin to fetch) runs over the main sources of stack, tun and
 * tools with doclint on everything but missing comments: malformed HTML (an RFC's
 * {@code <SEQ=SND.NXT>} written bare), broken {@code {@link}}s and bad tags fail here.
 */
class JavadocTest {

    @Test
    void javadoc_ofTheLibraryModules_hasNoErrorAndNoWarning(@TempDir Path out) throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        List<String> sourcePath = new ArrayList<>();
        for (String module : List.of("stack", "tun", "tools")) {
            Path sources = root.resolve(module).resolve("src/main/java");
            if (!Files.isDirectory(sources)) {
                throw new AssertionError("no sources at " + sources);
            }
            sourcePath.add(sources.toString());
        }
        ToolProvider javadoc = ToolProvider.findFirst("javadoc")
                .orElseThrow(() -> new AssertionError("this JDK has no javadoc tool"));
        StringWriter text = new StringWriter();
        PrintWriter writer = new PrintWriter(text);
        int exit = javadoc.run(writer, writer, "-quiet", "-Xdoclint:all,-missing", "-d", out.toString(),
                "-cp", System.getProperty("java.class.path"), "-sourcepath", String.join(":", sourcePath),
                "-subpackages", "io.usertcp");
        writer.flush();
        String report = text.toString();
        List<String> problems = report.lines().filter(l -> l.contains("error:") || l.contains("warning:")).toList();
        assertEquals(List.of(), problems, report);
        assertEquals(0, exit, report);
    }
}
