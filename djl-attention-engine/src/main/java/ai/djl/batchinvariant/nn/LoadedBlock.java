/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A DJL block whose parameters arrive already loaded (from a checkpoint) rather than initialised:
 * one input array, one output array, inference only. {@link #forward(NDArray)} is the same
 * computation without the {@code NDList} wrapping, for models that chain blocks directly.
 */
abstract class LoadedBlock extends AbstractBlock implements AutoCloseable {

    LoadedBlock() {
        super((byte) 1);
    }

    /**
     * Registers a parameter holding a loaded array.
     *
     * @param name the parameter name
     * @param type its kind
     * @param value the array (owned by the parameter from now on), or null
     * @return the parameter
     */
    final Parameter param(String name, Parameter.Type type, NDArray value) {
        Parameter p = addParameter(Parameter.builder().setName(name).setType(type).optRequiresGrad(false).build());
        if (value != null) {
            p.setArray(value);
        }
        return p;
    }

    /**
     * Applies the block to one array.
     *
     * @param x the input
     * @return the output, in x's manager
     */
    public abstract NDArray forward(NDArray x);

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(ParameterStore parameterStore, NDList inputs, boolean training,
            PairList<String, Object> params) {
        if (training) {
            throw new UnsupportedOperationException(getClass().getSimpleName()
                    + " is inference only: training is not supported");
        }
        return new NDList(forward(inputs.head()));
    }

    /** Closes the parameters' arrays. */
    @Override
    public void close() {
        for (Parameter p : getParameters().values()) {
            p.close();
        }
    }
}
