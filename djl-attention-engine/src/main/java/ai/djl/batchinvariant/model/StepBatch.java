/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.model;

import ai.djl.batchinvariant.attention.BatchPlan;

import java.util.List;

/** A validated step: the cache grown by its tokens, its ids, page table and plan. */
final class StepBatch {
    final List<KvCacheManager.Sequence> seqs;
    final int[] qo;
    final int[] ids;
    final int[][] pageTable;
    final BatchPlan plan;

    StepBatch(List<KvCacheManager.Sequence> seqs, int[] qo, int[] ids, int[][] pageTable, BatchPlan plan) {
        this.seqs = seqs;
        this.qo = qo;
        this.ids = ids;
        this.pageTable = pageTable;
        this.plan = plan;
    }

    int size() {
        return qo.length - 1;
    }

    boolean isDecode(boolean[] allRows) {
        return ids.length == size() && (allRows == null || !any(allRows));
    }

    private static boolean any(boolean[] a) {
        for (boolean b : a) {
            if (b) {
                return true;
            }
        }
        return false;
    }
}
