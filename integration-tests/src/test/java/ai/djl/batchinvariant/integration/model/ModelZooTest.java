/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Application;
import ai.djl.batchinvariant.integration.RepoFiles;
import ai.djl.batchinvariant.zoo.BiModelZoo;
import ai.djl.batchinvariant.zoo.GeneratedTokens;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.MRL;
import ai.djl.repository.RemoteRepository;
import ai.djl.repository.Repository;
import ai.djl.repository.RepositoryFactory;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooModel;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Constructor;
import java.net.URI;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;

/**
 * The zoo: the bundled tiny-llama loads by {@code djl://} URL and by group/artifact with the
 * machine offline (the build runs with ai.djl.offline=true), continues the fixture prompt exactly
 * as transformers did, reads {@code option.*} from its serving.properties, and leaves other
 * groups' djl URLs as DJL resolves them.
 */
class ModelZooTest {

    private static final String URL = "djl://" + BiModelZoo.GROUP_ID + "/tiny-llama";

    private static int[] generate(Criteria.Builder<int[], int[]> b, int[] prompt) throws Exception {
        try (ZooModel<int[], int[]> m = b.build().loadModel(); Predictor<int[], int[]> p = m.newPredictor()) {
            return p.predict(prompt);
        }
    }

    @Test
    void djlUrlGivesTransformersGreedyContinuation() throws Exception {
        Fixtures f = Fixtures.expected("tiny-llama");
        int[] got = generate(Criteria.builder().setTypes(int[].class, int[].class).optModelUrls(URL)
                .optArgument("max_new_tokens", String.valueOf(f.greedy.length))
                .optArgument("stop_token_ids", ""), f.prompt);
        assertArrayEquals(f.greedy, got);
    }

    @Test
    void groupAndArtifactCriteriaFindTheBundledModel() throws Exception {
        Fixtures f = Fixtures.expected("tiny-llama");
        int[] got = generate(Criteria.builder().setTypes(int[].class, int[].class)
                .optApplication(Application.NLP.TEXT_GENERATION)
                .optGroupId(BiModelZoo.GROUP_ID).optArtifactId("tiny-llama")
                .optArgument("max_new_tokens", "5").optArgument("stop_token_ids", ""), f.prompt);
        int[] first5 = new int[5];
        System.arraycopy(f.greedy, 0, first5, 0, 5);
        assertArrayEquals(first5, got);
    }

    @Test
    void servingPropertiesOptionSetsTheBudget() throws Exception {
        String props = Files.readString(RepoFiles.root().resolve("djl-attention-engine/src/main/resources/ai/djl/batchinvariant/zoo/tiny-llama/"
                        + "serving.properties"));
        assertTrue(props.contains("option.max_new_tokens=16"), props);
        int[] got = generate(Criteria.builder().setTypes(int[].class, int[].class).optModelUrls(URL)
                .optArgument("stop_token_ids", ""), new int[] {1, 5});
        assertEquals(16, got.length);
        // a Criteria option (what option.KEY becomes) is read the same way
        got = generate(Criteria.builder().setTypes(int[].class, int[].class).optModelUrls(URL)
                .optOption("max_new_tokens", "3").optArgument("stop_token_ids", ""), new int[] {1, 5});
        assertEquals(3, got.length);
    }

    @Test
    void logitsThroughTheZooEqualTheDirectoryLoad() throws Exception {
        Fixtures f = Fixtures.expected("tiny-llama");
        try (ZooModel<NDList, NDList> m = Criteria.builder().setTypes(NDList.class, NDList.class).optModelUrls(URL)
                        .build().loadModel();
                Predictor<NDList, NDList> p = m.newPredictor();
                NDManager nd = m.getNDManager().newSubManager()) {
            float[] logits = p.predict(new NDList(nd.create(f.prompt).toType(DataType.INT32, false))).head()
                    .toFloatArray();
            assertEquals(new Shape(f.prompt.length, 128).size(), logits.length);
            for (int i = 0; i < f.prompt.length; i++) {
                float[] row = new float[128];
                System.arraycopy(logits, i * 128, row, 0, 128);
                assertTrue(Fixtures.relErr(row, f.logits[i]) < 1e-4, "position " + i);
            }
        }
    }

    @Test
    void generatedTokensCarryLogprobs() throws Exception {
        try (ZooModel<int[], GeneratedTokens> m = Criteria.builder().setTypes(int[].class, GeneratedTokens.class)
                        .optModelUrls(URL).optArgument("max_new_tokens", "4").build().loadModel();
                Predictor<int[], GeneratedTokens> p = m.newPredictor()) {
            GeneratedTokens g = p.predict(new int[] {1, 7, 9});
            assertEquals(g.getIds().length, g.getLogprobs().length);
            for (float lp : g.getLogprobs()) {
                assertTrue(lp < 0 && lp > -20, "logprob " + lp);
            }
        }
    }

    @Test
    void badOptionNamesKeyAndValue() {
        Exception e = assertThrows(Exception.class, () -> generate(Criteria.builder().setTypes(int[].class, int[].class)
                .optModelUrls(URL).optArgument("temperature", "hot"), new int[] {1}));
        String all = messages(e);
        assertTrue(all.contains("temperature=hot"), all);
        e = assertThrows(Exception.class, () -> generate(Criteria.builder().setTypes(int[].class, int[].class)
                .optModelUrls(URL).optArgument("top_p", "1.5"), new int[] {1}));
        all = messages(e);
        assertTrue(all.contains("top_p=1.5"), all);
    }

    @Test
    void zooIsRegisteredAndListsTheBundledModel() {
        ModelZoo zoo = ModelZoo.getModelZoo(BiModelZoo.GROUP_ID);
        assertNotNull(zoo);
        assertEquals(List.of("tiny-llama"), zoo.getModelLoaders().stream().map(l -> l.getArtifactId()).toList());
        Map<Application, List<MRL>> models = ModelZoo.listModels();
        assertTrue(models.getOrDefault(Application.NLP.TEXT_GENERATION, List.of()).stream()
                .anyMatch(mrl -> "tiny-llama".equals(mrl.getArtifactId())), models.toString());
    }

    @Test
    void unknownArtifactIsRefusedByName() {
        Exception e = assertThrows(Exception.class, () -> generate(Criteria.builder().setTypes(int[].class, int[].class)
                .optModelUrls("djl://" + BiModelZoo.GROUP_ID + "/no-such-model"), new int[] {1}));
        assertTrue(messages(e).contains("no-such-model"), messages(e));
    }

    @Test
    void otherGroupsResolveAsDjlDoes() throws Exception {
        ModelZoo.getModelZoo(BiModelZoo.GROUP_ID); // our factory is in place
        // DJL's own djl:// factory, built directly, is the reference for every other group
        Class<?> c = Class.forName("ai.djl.repository.RepositoryFactoryImpl$DjlRepositoryFactory");
        Constructor<?> k = c.getDeclaredConstructors()[0];
        k.setAccessible(true);
        RepositoryFactory stock = (RepositoryFactory) k.newInstance(new Object[k.getParameterCount()]);
        for (String url : new String[] {"djl://ai.djl.zoo/mlp", "djl://ai.djl.zoo/mlp/0.0.3",
                "djl://ai.djl.zoo/resnet/0.0.2/resnetv1?x=1"}) {
            Repository ours = Repository.newInstance("r", url);
            Repository theirs = stock.newInstance("r", URI.create(url));
            assertTrue(ours instanceof RemoteRepository, url);
            assertEquals(theirs.getBaseUri(), ours.getBaseUri(), url);
            assertEquals(theirs.getResources().toString(), ours.getResources().toString(), url);
        }
    }

    private static String messages(Throwable e) {
        StringBuilder s = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            s.append(t).append('\n');
        }
        return s.toString();
    }
}
