/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.zoo;

import ai.djl.repository.Repository;
import ai.djl.repository.zoo.ModelZoo;

import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * The model zoo of the BatchInvariant engine, group {@value #GROUP_ID}: causal language models in
 * Hugging Face layout bundled in this jar, loadable by {@code Criteria.optGroupId/optArtifactId}
 * or by {@code djl://ai.djl.batchinvariant/ARTIFACT}. Creating it also routes that group's {@code
 * djl://} URLs to the bundled files (see {@link DjlUrls}); other groups resolve as before.
 */
public final class BiModelZoo extends ModelZoo {

    /** The zoo's group id. */
    public static final String GROUP_ID = "ai.djl.batchinvariant";
    /** The engine every model of this zoo runs on. */
    public static final String ENGINE = "BatchInvariant";
    /** The bundled models' artifact ids. */
    public static final List<String> ARTIFACTS = List.of("tiny-llama");

    private static final class Holder {
        static final BiModelZoo INSTANCE = new BiModelZoo();
    }

    private BiModelZoo() {
        for (String artifact : ARTIFACTS) {
            addModel(new BundledModel(artifact));
        }
        Repository.registerRepositoryFactory(new DjlUrls());
    }

    /**
     * Returns the zoo (one per class loader, as DJL's provider lookup expects).
     *
     * @return the zoo
     */
    public static BiModelZoo instance() {
        return Holder.INSTANCE;
    }

    /** {@inheritDoc} */
    @Override
    public String getGroupId() {
        return GROUP_ID;
    }

    /** {@inheritDoc} */
    @Override
    public Set<String> getSupportedEngines() {
        return Collections.singleton(ENGINE);
    }
}
