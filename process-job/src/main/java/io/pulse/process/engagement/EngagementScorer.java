package io.pulse.process.engagement;

import java.io.Serializable;
import java.util.Map;

/**
 * Engagement score of one engagement event (DESIGN.md "Redis"): a weight per event type, 0 for a
 * type without one. Weights are configurable; the defaults are view 1, like 3, comment 4, share 5,
 * complete 2.
 */
public final class EngagementScorer implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final Map<String, Double> DEFAULT_WEIGHTS =
            Map.of("view", 1.0, "like", 3.0, "comment", 4.0, "share", 5.0, "complete", 2.0);

    private final Map<String, Double> weights;

    public EngagementScorer(Map<String, Double> weights) {
        weights.forEach((type, w) -> {
            if (w == null || w < 0 || w.isNaN() || w.isInfinite()) {
                throw new IllegalArgumentException("weight of '" + type + "' must be a finite number >= 0, got " + w);
            }
        });
        this.weights = Map.copyOf(weights);
    }

    public static EngagementScorer defaults() {
        return new EngagementScorer(DEFAULT_WEIGHTS);
    }

    /** Parses "view=1,like=3,...": the form of the {@code score.weights} setting. */
    public static EngagementScorer parse(String spec) {
        java.util.HashMap<String, Double> weights = new java.util.HashMap<>();
        for (String pair : spec.split(",")) {
            String[] kv = pair.strip().split("=");
            if (kv.length != 2) {
                throw new IllegalArgumentException("score weights must look like view=1,like=3; got '" + pair.strip() + "'");
            }
            try {
                weights.put(kv[0].strip(), Double.parseDouble(kv[1].strip()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("weight of '" + kv[0].strip() + "' is not a number: '" + kv[1].strip() + "'");
            }
        }
        return new EngagementScorer(weights);
    }

    public double score(String eventType) {
        return eventType == null ? 0 : weights.getOrDefault(eventType, 0.0);
    }
}
