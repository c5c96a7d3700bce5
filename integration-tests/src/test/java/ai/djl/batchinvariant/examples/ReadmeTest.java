/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.integration.RepoFiles;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The README's promises: the example it quotes is the compiled one, coordinates, two commands. */
class ReadmeTest {

    private static final Path ROOT = RepoFiles.root();
    private static final String EXAMPLE =
            "integration-tests/src/main/java/ai/djl/batchinvariant/examples/UsingIt.java";

    private static String read(String path) throws IOException {
        return Files.readString(ROOT.resolve(path)).replace("\r\n", "\n");
    }

    /** The lines strictly between the line containing {@code open} and the one containing {@code close}. */
    private static String between(String text, String open, String close, String where) {
        int a = text.indexOf(open);
        assertTrue(a >= 0, "no '" + open + "' in " + where);
        a = text.indexOf('\n', a) + 1;
        int b = text.indexOf(close, a);
        assertTrue(b >= 0, "no '" + close + "' after '" + open + "' in " + where);
        b = text.lastIndexOf('\n', b - 1) + 1;
        return text.substring(a, b);
    }

    @Test
    void quotesTheCompiledExampleVerbatim() throws IOException {
        String region = between(read(EXAMPLE), "// <example:UsingIt>", "// </example:UsingIt>", EXAMPLE);
        String quoted = between(read("README.md"), "<!-- example:UsingIt -->", "<!-- /example:UsingIt -->", "README.md");
        assertTrue(quoted.startsWith("```java\n") && quoted.endsWith("```\n"), "README block is not a java fence:\n" + quoted);
        String code = quoted.substring("```java\n".length(), quoted.length() - "```\n".length());
        assertEquals(region, code, "README.md's quoted example differs from the marked region of " + EXAMPLE
                + " (copy the region between the markers into the README)");
        assertTrue(region.contains("cache.append(") && region.contains("planPrefill(") && region.contains("planDecode(")
                && region.contains("try (NDManager manager"), region);
    }

    @Test
    void quotesTheGenerationExampleVerbatim() throws IOException {
        String file = "integration-tests/src/main/java/ai/djl/batchinvariant/examples/GenerateText.java";
        String region = between(read(file), "// <example:GenerateText>", "// </example:GenerateText>", file);
        String quoted = between(read("README.md"), "<!-- example:GenerateText -->", "<!-- /example:GenerateText -->",
                "README.md");
        assertTrue(quoted.startsWith("```java\n") && quoted.endsWith("```\n"), "README block is not a java fence:\n" + quoted);
        assertEquals(region, quoted.substring("```java\n".length(), quoted.length() - "```\n".length()),
                "README.md's quoted example differs from the marked region of " + file);
        assertTrue(region.contains("optModelUrls(\"djl://ai.djl.batchinvariant/tiny-llama\")"), region);
    }

    @Test
    void generateCommandIsTheScriptAndTheExecEntry() throws IOException {
        String readme = read("README.md");
        Matcher m = Pattern.compile("(?m)^\\./run-generate (.*)$").matcher(readme);
        assertTrue(m.find(), "README.md should show a ./run-generate command line");
        assertTrue(Files.isExecutable(ROOT.resolve("run-generate")), "run-generate is missing or not executable");
        String script = read("run-generate");
        assertTrue(script.contains("exec:java@generate"), script);
        String pom = read("integration-tests/pom.xml");
        assertTrue(pom.contains("<id>generate</id>") && pom.contains("<mainClass>ai.djl.batchinvariant.cli.Generate</mainClass>"),
                "integration-tests/pom.xml lacks the generate execution");
        // the README's command line parses as the command's own flags
        assertTrue(m.group(1).contains("--model ") && m.group(1).contains("--max-new-tokens "), m.group(1));
    }

    @Test
    void mavenCoordinatesAreTheEngineModules() throws IOException {
        String pom = read("djl-attention-engine/pom.xml");
        String parent = read("pom.xml");
        String artifact = tag(pom.substring(pom.indexOf("</parent>")), "artifactId");
        String groupId = tag(parent, "groupId");
        String version = tag(parent, "version");
        String readme = read("README.md");
        String dep = "<dependency>\n  <groupId>" + groupId + "</groupId>\n  <artifactId>" + artifact
                + "</artifactId>\n  <version>" + version + "</version>\n</dependency>";
        assertTrue(readme.contains(dep), "README.md should show\n" + dep);
        assertTrue(readme.contains("```\nmvn -B -DskipTests install\n```"), "README.md should show the install step");
    }

    @Test
    void exactlyTwoCommandsUpFront() throws IOException {
        String readme = read("README.md");
        String front = readme.substring(0, readme.indexOf("\n## Using it"));
        List<String> blocks = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^```[a-z]*\n(.*?)```", Pattern.DOTALL).matcher(front);
        while (m.find()) {
            blocks.add(m.group(1).trim());
        }
        assertEquals(List.of("./run-demo", "mvn -B test"), blocks);
    }

    private static String tag(String xml, String name) {
        Matcher m = Pattern.compile("<" + name + ">([^<]+)</" + name + ">").matcher(xml);
        assertTrue(m.find(), name);
        return m.group(1).trim();
    }
}
