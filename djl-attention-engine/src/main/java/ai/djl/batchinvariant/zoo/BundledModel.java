/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.zoo;

import ai.djl.Application;
import ai.djl.MalformedModelException;
import ai.djl.repository.MRL;
import ai.djl.repository.Repository;
import ai.djl.repository.zoo.BaseModelLoader;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.util.Progress;
import ai.djl.util.Utils;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;

/**
 * A model directory shipped as class-path resources under {@code ai/djl/batchinvariant/zoo/ARTIFACT/}.
 * On first use its files are copied to DJL's cache directory (a model is read from files: weights
 * are memory-mapped), then it loads like a local directory. Copying is lazy so that merely having
 * the engine on the class path never writes anything.
 */
final class BundledModel extends BaseModelLoader {

    /** The files of a bundled model directory. */
    static final List<String> FILES = List.of("config.json", "model.safetensors", "tokenizer.json", "serving.properties");

    private final String artifact;

    BundledModel(String artifact) {
        super(null); // the MRL needs the copied directory: made on first use
        this.artifact = artifact;
        this.defaultFactory = new CausalLmTranslatorFactory();
    }

    /** {@inheritDoc} */
    @Override
    public String getGroupId() {
        return BiModelZoo.GROUP_ID;
    }

    /** {@inheritDoc} */
    @Override
    public String getArtifactId() {
        return artifact;
    }

    /** {@inheritDoc} */
    @Override
    public Application getApplication() {
        return Application.NLP.TEXT_GENERATION;
    }

    /** {@inheritDoc} */
    @Override
    public synchronized MRL getMrl() {
        if (mrl == null) {
            try {
                Repository repo = Repository.newInstance(artifact, directory());
                mrl = repo.model(getApplication(), BiModelZoo.GROUP_ID, artifact, "0.1");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot copy the bundled model " + artifact, e);
            }
        }
        return mrl;
    }

    /** {@inheritDoc} */
    @Override
    public <I, O> ZooModel<I, O> loadModel(Criteria<I, O> criteria)
            throws IOException, ModelNotFoundException, MalformedModelException {
        getMrl();
        return super.loadModel(criteria);
    }

    /** {@inheritDoc} */
    @Override
    public <I, O> boolean isDownloaded(Criteria<I, O> criteria) throws IOException, ModelNotFoundException {
        return true; // shipped in the jar
    }

    /** {@inheritDoc} */
    @Override
    public <I, O> void downloadModel(Criteria<I, O> criteria, Progress progress) {
        getMrl();
    }

    /**
     * Copies the bundled files to the cache (again where a copy differs) and returns the directory.
     *
     * @return the model directory
     * @throws IOException if a file cannot be written
     */
    synchronized Path directory() throws IOException {
        Path dir = Utils.getCacheDir().resolve("batchinvariant").resolve(artifact);
        Files.createDirectories(dir);
        for (String name : FILES) {
            String resource = "/ai/djl/batchinvariant/zoo/" + artifact + "/" + name;
            byte[] bytes;
            try (InputStream in = BundledModel.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IOException("the jar lacks " + resource);
                }
                bytes = in.readAllBytes();
            }
            Path target = dir.resolve(name);
            if (Files.isRegularFile(target) && Arrays.equals(Files.readAllBytes(target), bytes)) {
                continue;
            }
            // write beside, then move: a concurrent reader never sees half a file
            Path tmp = Files.createTempFile(dir, name, ".tmp");
            Files.write(tmp, bytes);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        return dir;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return BiModelZoo.GROUP_ID + ":" + artifact + " (bundled)";
    }
}
