package io.usertcp.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library as a new user meets it (issue 17, "show it works"): this build's artifacts are
 * installed into the local Maven repository, as {@code mvn install} does, and a clean Maven
 * project of its own, outside this tree, that depends on {@code io.usertcp:usertcp-tun} as the
 * README's Licence section says, compiles the README's first Java example (the echo server,
 * {@code io.usertcp.tun.examples.EchoServerExample}, moved to a package of its own) and runs it
 * with the classpath Maven resolved: the namespace's kernel reads its line back. Needs root and
 * TUN, as the example does, and {@code mvn}; Maven fetches what the local repository lacks (the
 * dependency plugin, on a fresh machine).
 */
@Tag("tun")
@Timeout(600)
class ExternalProjectTest {
    private static final long STEP_SECONDS = 240;

    @BeforeAll
    static void needTunAndMaven() {
        ToolsTunSupport.requireTun();
        ToolsTunSupport.requireCommand("mvn", "maven");
    }

    @Test
    void aCleanMavenProject_dependingOnTheInstalledArtifacts_runsTheReadmesEchoExample(@TempDir Path dir) throws Exception {
        Path root = Path.of("").toAbsolutePath().getParent(); // surefire runs in tools/
        String version = System.getProperty("usertcp.version");
        String repository = System.getProperty("usertcp.localRepository");
        assertTrue(version != null && repository != null, "the build passes usertcp.version and usertcp.localRepository");

        // mvn install, without building again: the parent POM, then the stack and tun jars this build made
        install(root, dir, root.resolve("pom.xml"), root.resolve("pom.xml"));
        for (String module : List.of("stack", "tun")) {
            Path jar = root.resolve(module).resolve("target").resolve("usertcp-" + module + "-" + version + ".jar");
            assertTrue(Files.isRegularFile(jar), jar + " (the build packages each module before the next one's tests)");
            install(root, dir, jar, root.resolve(module).resolve("pom.xml"));
        }

        Path project = dir.resolve("echo");
        Path sources = project.resolve("src/main/java/com/example");
        Files.createDirectories(sources);
        Files.writeString(project.resolve("pom.xml"), pom(version), StandardCharsets.UTF_8);
        String example = Files.readString(root.resolve("tun/src/main/java/io/usertcp/tun/examples/EchoServerExample.java"));
        assertTrue(example.startsWith("package io.usertcp.tun.examples;"), "the example's package line");
        Files.writeString(sources.resolve("EchoServerExample.java"),
                example.replaceFirst("package io\\.usertcp\\.tun\\.examples;", "package com.example;"), StandardCharsets.UTF_8);

        run(project, dir, "mvn", "-B", "-q", "--no-transfer-progress", "-Dmaven.repo.local=" + repository, "compile",
                "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath", "-Dmdep.outputFile=classpath.txt");
        String classpath = project.resolve("target/classes") + ":" + Files.readString(project.resolve("classpath.txt")).trim();
        assertTrue(classpath.contains("usertcp-tun-" + version + ".jar") && classpath.contains("usertcp-stack-" + version + ".jar"),
                "the installed artifacts, resolved by Maven: " + classpath);
        String out = run(project, dir, Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", classpath,
                "com.example.EchoServerExample");
        assertEquals("hello from the kernel\n", out);
    }

    private static void install(Path root, Path dir, Path file, Path pom) throws Exception {
        run(root, dir, "mvn", "-B", "-q", "--no-transfer-progress", "-N",
                "-Dmaven.repo.local=" + System.getProperty("usertcp.localRepository"),
                "org.apache.maven.plugins:maven-install-plugin:3.1.4:install-file", "-Dfile=" + file, "-DpomFile=" + pom);
    }

    /** A project of its own: the README's dependency, Java 17, the compiler plugin this build uses. */
    private static String pom(String version) {
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <project xmlns="http://maven.apache.org/POM/4.0.0">
                  <modelVersion>4.0.0</modelVersion>
                  <groupId>com.example</groupId>
                  <artifactId>echo</artifactId>
                  <version>1</version>
                  <properties>
                    <maven.compiler.release>17</maven.compiler.release>
                    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
                  </properties>
                  <dependencies>
                    <dependency>
                      <groupId>io.usertcp</groupId>
                      <artifactId>usertcp-tun</artifactId>
                      <version>%s</version>
                    </dependency>
                  </dependencies>
                  <build>
                    <plugins>
                      <plugin>
                        <groupId>org.apache.maven.plugins</groupId>
                        <artifactId>maven-compiler-plugin</artifactId>
                        <version>%s</version>
                      </plugin>
                      <plugin>
                        <groupId>org.apache.maven.plugins</groupId>
                        <artifactId>maven-resources-plugin</artifactId>
                        <version>3.3.1</version>
                      </plugin>
                    </plugins>
                  </build>
                </project>
                """.formatted(version, System.getProperty("usertcp.compilerPluginVersion", "3.14.0"));
    }

    /** Runs {@code command} in {@code in}, bounded in time; returns its standard output, fails with its output otherwise. */
    private static String run(Path in, Path dir, String... command) throws IOException, InterruptedException {
        Path output = Files.createTempFile(dir, "out", ".txt");
        Path errors = Files.createTempFile(dir, "err", ".txt");
        Process p = new ProcessBuilder(new ArrayList<>(List.of(command))).directory(in.toFile())
                .redirectOutput(output.toFile()).redirectError(errors.toFile()).start();
        if (!p.waitFor(STEP_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError(String.join(" ", command) + ": no end after " + STEP_SECONDS + " s");
        }
        String out = Files.readString(output);
        assertEquals(0, p.exitValue(), String.join(" ", command) + "\n" + out + Files.readString(errors));
        return out;
    }
}
