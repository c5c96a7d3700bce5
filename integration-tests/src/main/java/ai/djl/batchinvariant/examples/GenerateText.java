/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.examples;

// <example:GenerateText> (README.md quotes from here to the end marker verbatim; a test keeps them equal)
import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;

/** Text in, text out: the engine's bundled tiny model from its zoo, sampled with a seed. */
public final class GenerateText {

    private GenerateText() {}

    /**
     * Runs the example.
     *
     * @param args unused
     * @throws Exception if the model cannot load or run
     */
    public static void main(String[] args) throws Exception {
        Criteria<String, String> criteria = Criteria.builder()
                .setTypes(String.class, String.class)
                .optModelUrls("djl://ai.djl.batchinvariant/tiny-llama") // or optModelPath(dir), see below
                .optArgument("max_new_tokens", "8")
                .optArgument("temperature", "0.8")
                .optArgument("seed", "42")
                .build();
        try (ZooModel<String, String> model = criteria.loadModel();
                Predictor<String, String> predictor = model.newPredictor()) {
            System.out.println(predictor.predict("bud dad big"));
        }
    }
}
// </example:GenerateText>
