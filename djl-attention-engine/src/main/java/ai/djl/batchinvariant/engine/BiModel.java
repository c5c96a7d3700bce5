/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import ai.djl.BaseModel;
import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.batchinvariant.config.EngineOptions;
import ai.djl.batchinvariant.model.CausalLmBlock;
import ai.djl.batchinvariant.model.LlamaModel;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.training.TrainingConfig;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.Pair;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A model of the {@code BatchInvariant} engine: a DJL {@code Block} (given with {@code
 * Criteria.optBlock} or {@link #setBlock}) whose parameters load from DJL's {@code .params}
 * format, or, without a block, a Hugging Face decoder directory ({@code config.json} and
 * safetensors) loaded as a {@link CausalLmBlock}. The model's options ({@link EngineOptions}) are validated at load and apply to every
 * predictor of the model.
 */
public class BiModel extends BaseModel {

    BiModel(String name, Device device) {
        super(name);
        BiNDManager.checkDevice(device);
        manager = BiNDManager.getSystemManager().newSubManager(device);
        manager.setName("model");
        dataType = DataType.FLOAT32;
    }

    /**
     * Returns the options in force for this model.
     *
     * @return the options
     */
    public EngineOptions getOptions() {
        return ((BiNDManager) manager).getOptions();
    }

    /** {@inheritDoc} */
    @Override
    public void load(Path modelPath, String prefix, Map<String, ?> options)
            throws IOException, MalformedModelException {
        EngineOptions parsed = EngineOptions.parse(options);
        ((BiNDManager) manager).setOptions(parsed);
        setModelDir(modelPath);
        wasLoaded = true;
        if (prefix == null) {
            prefix = modelName;
        }
        if (block == null && Files.isRegularFile(modelDir.resolve("config.json"))) {
            // a Hugging Face decoder directory: config.json with safetensors weights
            try {
                block = new CausalLmBlock(LlamaModel.load(modelDir, manager, options));
            } catch (IOException | RuntimeException e) {
                // DJL's loader drops a model whose load fails: free what was read before saying why
                close();
                throw e;
            }
            copyProperties(options);
            return;
        }
        if (block == null) {
            throw new MalformedModelException(
                    "the BatchInvariant engine loads DJL .params into a Block: pass the block with"
                            + " Criteria.optBlock(...) (model folder: " + modelDir + ")");
        }
        loadBlock(prefix, options);
        copyProperties(options);
    }

    private void copyProperties(Map<String, ?> options) {
        for (Map.Entry<String, ?> e : options == null ? Map.<String, Object>of().entrySet() : options.entrySet()) {
            setProperty(e.getKey(), String.valueOf(e.getValue()));
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>The trainer initialises the block (with the configuration's initializers), runs forward
     * passes and evaluates ({@code trainer.evaluate}, {@code EasyTrain.validateBatch}); gradients,
     * backward and {@code step()} are refused with a message naming training.
     */
    @Override
    public Trainer newTrainer(TrainingConfig trainingConfig) {
        if (block == null) {
            throw new IllegalStateException("You must set a block for the model before creating a new trainer");
        }
        for (Pair<Initializer, Predicate<Parameter>> pair : trainingConfig.getInitializers()) {
            if (pair.getKey() != null && pair.getValue() != null) {
                block.setInitializer(pair.getKey(), pair.getValue());
            }
        }
        return new Trainer(this, trainingConfig);
    }
}
