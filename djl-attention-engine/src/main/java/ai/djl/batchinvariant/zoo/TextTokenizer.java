/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.zoo;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A model directory's {@code tokenizer.json} through DJL's Hugging Face tokenizers binding
 * ({@code ai.djl.huggingface:tokenizers}, which carries its native library, so nothing is
 * downloaded). Encoding adds the tokenizer's special tokens (e.g. BOS) as its post-processor says;
 * decoding skips special tokens.
 */
public final class TextTokenizer implements AutoCloseable {

    /** The file read from a model directory. */
    public static final String FILE = "tokenizer.json";

    private final HuggingFaceTokenizer tokenizer;

    private TextTokenizer(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /**
     * Loads {@value #FILE} from a model directory.
     *
     * @param modelDir the directory
     * @return the tokenizer
     * @throws IOException if the file is missing or unreadable
     * @throws IllegalStateException if the tokenizers library is not on the class path
     */
    public static TextTokenizer load(Path modelDir) throws IOException {
        Path file = modelDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new IOException(modelDir + " has no " + FILE + ": text needs one; without it use token ids"
                    + " (int[] input and output)");
        }
        try {
            return new TextTokenizer(HuggingFaceTokenizer.newInstance(file, Map.of()));
        } catch (NoClassDefFoundError e) {
            throw new IllegalStateException("text generation needs the dependency ai.djl.huggingface:tokenizers"
                    + " (the same DJL version) on the class path", e);
        }
    }

    /**
     * Encodes text, adding the tokenizer's special tokens.
     *
     * @param text the text
     * @return token ids
     */
    public int[] encode(String text) {
        long[] ids = tokenizer.encode(text, true, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    /**
     * Decodes ids to text, skipping special tokens.
     *
     * @param ids token ids
     * @return the text
     */
    public String decode(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return tokenizer.decode(l, true);
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        tokenizer.close();
    }
}
