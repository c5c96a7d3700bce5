/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.cli;

import ai.djl.batchinvariant.zoo.BiModelZoo;
import ai.djl.batchinvariant.zoo.CausalLmTranslatorFactory;
import ai.djl.batchinvariant.zoo.GeneratedTokens;
import ai.djl.batchinvariant.zoo.GenerationOptions;
import ai.djl.batchinvariant.zoo.TextTokenizer;
import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code generate}: one prompt through a causal LM of the BatchInvariant engine, printed as token
 * ids (and text where the model has {@code tokenizer.json}), or with {@code --json} one JSON object
 * per generated token with its log-probability. The model loads through DJL's {@code Criteria}
 * from a directory or a {@code djl://} URL; generation is the translators' ({@link
 * CausalLmTranslatorFactory}), so its tokens are those of any other entry point given the same
 * options.
 */
public final class Generate {

    static final String USAGE = "usage: generate --model DIR|djl://GROUP/ARTIFACT (--prompt TEXT | --prompt-ids 1,2,3)"
            + " --max-new-tokens N [--temperature T] [--top-k K] [--top-p P] [--seed S] [--stop-ids 2,3] [--json]";

    /** A command-line mistake: its message names the flag and the value. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    private Generate() {}

    /**
     * Runs the command; exits with status 2 on a usage error and 1 on a failure.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        int rc = run(args, System.out, System.err);
        if (rc != 0) {
            System.exit(rc);
        }
    }

    /**
     * Runs the command.
     *
     * @param args the command line
     * @param out where results go
     * @param err where errors go
     * @return 0, 1 (the model failed to load or run) or 2 (usage)
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Map<String, String> flags;
        try {
            flags = parse(args);
        } catch (UsageException e) {
            err.println("generate: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        String model = flags.get("--model");
        Criteria.Builder<int[], GeneratedTokens> b = Criteria.builder()
                .setTypes(int[].class, GeneratedTokens.class)
                .optEngine(BiModelZoo.ENGINE)
                .optTranslatorFactory(new CausalLmTranslatorFactory())
                .optArgument(GenerationOptions.MAX_NEW_TOKENS, flags.get("--max-new-tokens"));
        if (model.startsWith("djl://")) {
            b.optModelUrls(model);
        } else {
            b.optModelPath(Paths.get(model));
        }
        put(b, flags, "--temperature", GenerationOptions.TEMPERATURE);
        put(b, flags, "--top-k", GenerationOptions.TOP_K);
        put(b, flags, "--top-p", GenerationOptions.TOP_P);
        put(b, flags, "--seed", GenerationOptions.SEED);
        put(b, flags, "--stop-ids", GenerationOptions.STOP_TOKEN_IDS);
        try (ZooModel<int[], GeneratedTokens> zoo = b.build().loadModel();
                Predictor<int[], GeneratedTokens> predictor = zoo.newPredictor()) {
            Path dir = zoo.getModelPath();
            TextTokenizer tok = Files.isRegularFile(dir.resolve(TextTokenizer.FILE)) ? TextTokenizer.load(dir) : null;
            try {
                int[] prompt;
                if (flags.containsKey("--prompt")) {
                    if (tok == null) {
                        err.println("generate: --prompt needs " + TextTokenizer.FILE + " in " + dir
                                + "; give token ids with --prompt-ids");
                        return 2;
                    }
                    prompt = tok.encode(flags.get("--prompt"));
                } else {
                    prompt = GenerationOptions.parseIds("--prompt-ids", flags.get("--prompt-ids"));
                }
                GeneratedTokens result = predictor.predict(prompt);
                print(out, result, tok, flags.containsKey("--json"));
            } finally {
                if (tok != null) {
                    tok.close();
                }
            }
            return 0;
        } catch (Exception e) {
            err.println("generate: " + rootMessage(e));
            return 1;
        }
    }

    private static void put(Criteria.Builder<?, ?> b, Map<String, String> flags, String flag, String key) {
        if (flags.containsKey(flag)) {
            b.optArgument(key, flags.get(flag));
        }
    }

    private static void print(PrintStream out, GeneratedTokens r, TextTokenizer tok, boolean json) {
        int[] ids = r.getIds();
        float[] lp = r.getLogprobs();
        if (json) {
            for (int i = 0; i < ids.length; i++) {
                String p = Float.isFinite(lp[i]) ? Float.toString(lp[i]) : "null";
                out.println("{\"step\":" + i + ",\"token\":" + ids[i] + ",\"logprob\":" + p + "}");
            }
            return;
        }
        StringBuilder s = new StringBuilder("tokens:");
        for (int id : ids) {
            s.append(' ').append(id);
        }
        out.println(s);
        if (tok != null) {
            out.println("text: " + tok.decode(ids));
        }
    }

    private static String rootMessage(Throwable e) {
        String msg = e.getMessage();
        Throwable c = e.getCause();
        // DJL wraps the translator's and the engine's reasons: the innermost says what to fix
        while (c != null && c.getMessage() != null) {
            msg = c.getMessage();
            c = c.getCause();
        }
        return msg == null ? e.toString() : msg;
    }

    /**
     * Parses and checks the command line.
     *
     * @param args the command line
     * @return flag to value ({@code --json} maps to "true")
     * @throws UsageException naming the flag and value at fault
     */
    static Map<String, String> parse(String[] args) throws UsageException {
        Map<String, String> f = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--json":
                    f.put(a, "true");
                    break;
                case "--model":
                case "--prompt":
                case "--prompt-ids":
                case "--max-new-tokens":
                case "--temperature":
                case "--top-k":
                case "--top-p":
                case "--seed":
                case "--stop-ids":
                    if (i + 1 >= args.length) {
                        throw new UsageException(a + " needs a value");
                    }
                    if (f.containsKey(a)) {
                        throw new UsageException(a + " given twice ('" + f.get(a) + "' and '" + args[i + 1] + "')");
                    }
                    f.put(a, args[++i]);
                    break;
                default:
                    throw new UsageException("unknown argument '" + a + "'");
            }
        }
        if (!f.containsKey("--model")) {
            throw new UsageException("--model is required");
        }
        String model = f.get("--model");
        if (!model.startsWith("djl://") && !Files.isDirectory(Paths.get(model))) {
            throw new UsageException("--model '" + model + "' is not a directory (nor a djl:// URL)");
        }
        if (f.containsKey("--prompt") == f.containsKey("--prompt-ids")) {
            throw new UsageException("give exactly one of --prompt and --prompt-ids");
        }
        if (f.containsKey("--prompt-ids")) {
            try {
                if (GenerationOptions.parseIds("--prompt-ids", f.get("--prompt-ids")).length == 0) {
                    throw new UsageException("--prompt-ids '" + f.get("--prompt-ids") + "' holds no token id");
                }
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }
        if (!f.containsKey("--max-new-tokens")) {
            throw new UsageException("--max-new-tokens is required");
        }
        positiveInt(f, "--max-new-tokens");
        number(f, "--temperature", 0, false);
        nonNegativeInt(f, "--top-k");
        number(f, "--top-p", 0, true);
        if (f.containsKey("--top-p") && Double.parseDouble(f.get("--top-p")) > 1) {
            throw new UsageException("--top-p '" + f.get("--top-p") + "' must be in (0, 1]");
        }
        if (f.containsKey("--seed")) {
            try {
                Long.parseLong(f.get("--seed"));
            } catch (NumberFormatException e) {
                throw new UsageException("--seed '" + f.get("--seed") + "' is not an integer");
            }
        }
        if (f.containsKey("--stop-ids")) {
            try {
                GenerationOptions.parseIds("--stop-ids", f.get("--stop-ids"));
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }
        return f;
    }

    private static void positiveInt(Map<String, String> f, String flag) throws UsageException {
        String v = f.get(flag);
        try {
            if (Integer.parseInt(v) >= 1) {
                return;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException(flag + " '" + v + "' is not a positive integer");
    }

    private static void nonNegativeInt(Map<String, String> f, String flag) throws UsageException {
        String v = f.get(flag);
        if (v == null) {
            return;
        }
        try {
            if (Integer.parseInt(v) >= 0) {
                return;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException(flag + " '" + v + "' is not a non-negative integer");
    }

    private static void number(Map<String, String> f, String flag, double min, boolean exclusive)
            throws UsageException {
        String v = f.get(flag);
        if (v == null) {
            return;
        }
        double d;
        try {
            d = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new UsageException(flag + " '" + v + "' is not a number");
        }
        if (!Double.isFinite(d) || (exclusive ? d <= min : d < min)) {
            throw new UsageException(flag + " '" + v + "' must be " + (exclusive ? "> " : ">= ")
                    + String.format(Locale.ROOT, "%s", min == 0 ? "0" : Double.toString(min)) + " and finite");
        }
    }
}
