/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration;

import static ai.djl.batchinvariant.integration.CrossEngine.assertCloseNorm;
import static ai.djl.batchinvariant.integration.CrossEngine.data;

import ai.djl.batchinvariant.nn.FusedAttentionBlock;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.nn.transformer.ScaledDotProductAttentionBlock;
import ai.djl.nn.transformer.TransformerEncoderBlock;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.function.Supplier;

/**
 * DJL's own blocks run on this engine against DJL's PyTorch engine with identical parameters
 * (saved on PyTorch, loaded here through DJL's parameter format), and {@link FusedAttentionBlock}
 * loading the parameters of DJL's {@code ScaledDotProductAttentionBlock} unchanged. Tolerance:
 * relative L2 error 1e-5 and no element off by more than 2e-4 of the output's RMS (float32
 * accumulation order differs between the engines; attention outputs cancel, so element-wise
 * relative error is not meaningful).
 */
class CrossEngineBlocksTest {

    private static final double REL_TOL = 1e-5;

    private NDManager ours;
    private NDManager torch;

    @BeforeEach
    void setUp() {
        ours = Engine.getEngine("BatchInvariant").newBaseManager();
        torch = Engine.getEngine("PyTorch").newBaseManager();
    }

    @AfterEach
    void tearDown() {
        ours.close();
        torch.close();
    }

    private void compare(String what, Supplier<Block> make, Supplier<Block> makeOurs, Shape in, NDArray... extra)
            throws Exception {
        Block ref = make.get();
        Blocks.initRandom(ref, torch, 17, in);
        byte[] params = Blocks.save(ref);
        Block mine = makeOurs.get();
        Blocks.load(mine, ours, params, in);
        NDArray[] ti = new NDArray[1 + extra.length];
        NDArray[] oi = new NDArray[1 + extra.length];
        ti[0] = data(torch, 3, 1, in.getShape());
        oi[0] = data(ours, 3, 1, in.getShape());
        for (int i = 0; i < extra.length; i++) {
            ti[i + 1] = torch.from(extra[i]);
            oi[i + 1] = ours.from(extra[i]);
        }
        assertCloseNorm(what, Blocks.forward(mine, ours, oi), Blocks.forward(ref, torch, ti), REL_TOL);
    }

    @Test
    void linear() throws Exception {
        Supplier<Block> b = () -> Linear.builder().setUnits(48).build();
        compare("Linear", b, b, new Shape(6, 7, 32));
    }

    @Test
    void layerNorm() throws Exception {
        Supplier<Block> b = () -> LayerNorm.builder().build();
        compare("LayerNorm", b, b, new Shape(6, 7, 32));
    }

    @Test
    void scaledDotProductAttentionBlock() throws Exception {
        Supplier<Block> b = () -> ScaledDotProductAttentionBlock.builder().setEmbeddingSize(64).setHeadCount(4).build();
        compare("ScaledDotProductAttentionBlock", b, b, new Shape(3, 11, 64));
    }

    @Test
    void transformerEncoderBlock() throws Exception {
        Supplier<Block> b = () -> new TransformerEncoderBlock(64, 4, 128, 0.1f, Activation::gelu);
        compare("TransformerEncoderBlock", b, b, new Shape(3, 11, 64));
    }

    private static Block sdpa() {
        return ScaledDotProductAttentionBlock.builder().setEmbeddingSize(256).setHeadCount(4).build();
    }

    private static Block fused() {
        return FusedAttentionBlock.builder().setEmbeddingSize(256).setHeadCount(4).build();
    }

    @Test
    void fusedBlockLoadsScaledDotProductAttentionParameters() throws Exception {
        compare("FusedAttentionBlock", CrossEngineBlocksTest::sdpa, CrossEngineBlocksTest::fused, new Shape(3, 70, 256));
    }

    @Test
    void fusedBlockWithPaddingMask() throws Exception {
        int[] lens = {70, 5, 33};
        float[] mask = new float[3 * 70 * 70];
        for (int b = 0; b < 3; b++) {
            for (int t = 0; t < 70; t++) {
                for (int f = 0; f < lens[b]; f++) {
                    mask[(b * 70 + t) * 70 + f] = 1;
                }
            }
        }
        NDArray m = ours.create(mask, new Shape(3, 70, 70)).toType(DataType.INT32, false);
        compare("FusedAttentionBlock padding mask", CrossEngineBlocksTest::sdpa, CrossEngineBlocksTest::fused,
                new Shape(3, 70, 256), m);
    }

    @Test
    void fusedBlockWithCausalMask() throws Exception {
        float[] mask = new float[2 * 40 * 40];
        for (int b = 0; b < 2; b++) {
            for (int t = 0; t < 40; t++) {
                for (int f = 0; f <= t; f++) {
                    mask[(b * 40 + t) * 40 + f] = 1;
                }
            }
        }
        NDArray m = ours.create(mask, new Shape(2, 40, 40));
        compare("FusedAttentionBlock causal mask", CrossEngineBlocksTest::sdpa, CrossEngineBlocksTest::fused,
                new Shape(2, 40, 256), m);
    }
}
