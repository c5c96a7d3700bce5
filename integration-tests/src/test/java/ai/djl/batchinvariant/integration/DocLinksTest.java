/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Every file README.md and docs/*.md link to or cite exists in the repository (and is not
 * excluded by .gitignore): markdown links, backticked paths such as {@code docs/benchmarks.md} or
 * {@code experiments/ncu-prefill.txt} (relative to the document, the root, or a folder the
 * document links), and repository paths in command blocks. Build outputs ({@code target/},
 * {@code .gpu/}) are not checked.
 */
class DocLinksTest {

    private static final Path ROOT = RepoFiles.root();
    private static final Pattern LINK = Pattern.compile("!?\\[[^\\]]*\\]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");
    private static final Pattern CODE = Pattern.compile("`([^`\\s]+)`");
    private static final Pattern DATA_FILE = Pattern.compile(".*\\.(md|log|txt|json|svg|csv|png)");
    private static final Pattern TOP_DIRS = Pattern.compile(
            "(\\./)?(docs|tools|kernels|integration-tests|djl-attention-engine)/[\\w./-]*|\\./[\\w.-]+");

    static List<Path> documents() throws IOException {
        List<Path> docs = new ArrayList<>();
        docs.add(ROOT.resolve("README.md"));
        try (Stream<Path> s = Files.list(ROOT.resolve("docs"))) {
            docs.addAll(s.filter(p -> p.toString().endsWith(".md")).sorted().collect(Collectors.toList()));
        }
        return docs;
    }

    /** The problems of one document: each cited path that is missing or git-ignored. */
    static List<String> check(Path doc) throws IOException, InterruptedException {
        List<String> problems = new ArrayList<>();
        Path dir = doc.getParent();
        List<Path> linkedDirs = new ArrayList<>();
        boolean fenced = false;
        int n = 0;
        for (String line : Files.readAllLines(doc)) {
            n++;
            if (line.startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            String where = ROOT.relativize(doc) + ":" + n + ": ";
            if (fenced) {
                for (String token : line.split("\\s+")) {
                    if (TOP_DIRS.matcher(token).matches() && !skipped(token)) {
                        check(token, List.of(ROOT), where, problems);
                    }
                }
                continue;
            }
            Matcher m = LINK.matcher(line);
            while (m.find()) {
                String target = m.group(1);
                if (target.matches("^[a-zA-Z][a-zA-Z+.-]*:.*") || target.startsWith("#")) {
                    continue; // a URL or an anchor in the same document
                }
                target = target.replaceFirst("#.*$", "");
                Path p = check(target, List.of(dir), where, problems);
                if (p != null && Files.isDirectory(p)) {
                    linkedDirs.add(p);
                }
            }
            Matcher c = CODE.matcher(line.replaceAll("\\[`[^`]*`\\]", "[]"));
            while (c.find()) {
                String token = c.group(1);
                boolean path = token.contains("/") ? TOP_DIRS.matcher(token).matches() || DATA_FILE.matcher(token).matches()
                        : DATA_FILE.matcher(token).matches();
                if (path && !skipped(token) && !token.startsWith("*")) {
                    List<Path> bases = new ArrayList<>(List.of(dir, ROOT));
                    bases.addAll(linkedDirs);
                    check(token, bases, where, problems);
                }
            }
        }
        return problems;
    }

    private static boolean skipped(String token) {
        return token.startsWith(".gpu/") || token.startsWith("$") || token.contains("target/") || token.contains("*");
    }

    private static Path check(String target, List<Path> bases, String where, List<String> problems)
            throws IOException, InterruptedException {
        for (Path base : bases) {
            Path p = base.resolve(target).normalize();
            if (Files.exists(p)) {
                if (!p.startsWith(ROOT)) {
                    problems.add(where + target + " lies outside the repository");
                } else if (ignored(p)) {
                    problems.add(where + target + " exists here but .gitignore excludes it from the repository");
                }
                return p;
            }
        }
        problems.add(where + target + " does not exist (looked in " + bases.stream().map(b -> ROOT.relativize(b)
                .toString()).map(s -> s.isEmpty() ? "." : s).collect(Collectors.joining(", ")) + ")");
        return null;
    }

    /** Asks git whether a path is ignored; false where git or the repository is not available. */
    private static boolean ignored(Path p) throws IOException, InterruptedException {
        if (!Files.exists(ROOT.resolve(".git"))) {
            return false;
        }
        try {
            Process proc = new ProcessBuilder("git", "check-ignore", "-q", ROOT.relativize(p).toString())
                    .directory(ROOT.toFile()).redirectErrorStream(true).start();
            proc.getInputStream().readAllBytes();
            return proc.waitFor(30, TimeUnit.SECONDS) && proc.exitValue() == 0;
        } catch (IOException e) {
            return false; // no git on this machine
        }
    }

    @Test
    void everyCitedFileExists() throws Exception {
        List<String> problems = new ArrayList<>();
        for (Path doc : documents()) {
            problems.addAll(check(doc));
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void theCheckCatchesMissingFiles(@TempDir Path tmp) throws Exception {
        Path doc = tmp.resolve("doc.md");
        Files.writeString(doc, "see [the log](gpu-runs/nowhere.log), `missing-file.txt` and [the site](https://djl.ai)\n"
                + "```\npython3 tools/no_such_tool.py\n```\n");
        List<String> problems = check(doc);
        assertEquals(3, problems.size(), String.join("\n", problems));
        assertTrue(problems.get(0).contains("gpu-runs/nowhere.log") && problems.get(1).contains("missing-file.txt")
                && problems.get(2).contains("tools/no_such_tool.py"), String.join("\n", problems));
    }
}
