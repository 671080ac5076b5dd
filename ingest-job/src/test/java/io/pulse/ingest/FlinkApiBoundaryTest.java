package io.pulse.ingest;

import io.pulse.infra.testing.FlinkInternalApi;
import org.junit.jupiter.api.Test;

class FlinkApiBoundaryTest {
    @Test
    void theIngestJobUsesNoFlinkInternalApi() {
        FlinkInternalApi.assertUnusedIn("io.pulse.ingest");
    }
}
