package io.usertcp.tun.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's Java code is the examples' code: each ```java block of its "Using the stack from
 * Java" section is, line for line (indentation aside), the part of an example between its
 * README:begin and README:end lines, which the build compiles and ExamplesTest runs.
 */
class ReadmeJavaTest {
    private static final Path README = Path.of("..", "README.md");
    private static final Path EXAMPLES = Path.of("src", "main", "java", "io", "usertcp", "tun", "examples");

    @Test
    void everyJavaBlockOfTheReadmeIsAnExamplesQuotedPart() throws IOException {
        List<List<String>> blocks = javaBlocks(Files.readAllLines(README));
        List<List<String>> quoted = new ArrayList<>();
        for (String name : List.of("EchoServerExample.java", "ClientExample.java", "AsyncEchoExample.java", "LoopEchoExample.java",
                "NettyHttpServerExample.java", "NettyEchoClientExample.java")) {
            quoted.add(quotedPart(Files.readAllLines(EXAMPLES.resolve(name))));
        }
        assertEquals(quoted.size(), blocks.size(), "one README block per example: " + blocks);
        for (int i = 0; i < blocks.size(); i++) {
            assertEquals(quoted.get(i), blocks.get(i), "README block " + (i + 1));
        }
    }

    private static List<List<String>> javaBlocks(List<String> readme) {
        List<List<String>> blocks = new ArrayList<>();
        List<String> block = null;
        for (String line : readme) {
            if (line.equals("```java")) {
                block = new ArrayList<>();
            } else if (block != null && line.equals("```")) {
                blocks.add(block);
                block = null;
            } else if (block != null) {
                block.add(line.strip());
            }
        }
        assertTrue(block == null, "an unclosed ```java block");
        return blocks;
    }

    private static List<String> quotedPart(List<String> source) {
        int begin = -1;
        int end = -1;
        for (int i = 0; i < source.size(); i++) {
            if (source.get(i).strip().equals("// README:begin")) {
                begin = i;
            } else if (source.get(i).strip().equals("// README:end")) {
                end = i;
            }
        }
        assertTrue(begin >= 0 && end > begin, "README:begin and README:end lines");
        return source.subList(begin + 1, end).stream().map(String::strip).toList();
    }
}
