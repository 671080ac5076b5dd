package io.pulse.process;

import io.pulse.infra.testing.FlinkInternalApi;
import org.junit.jupiter.api.Test;

class FlinkApiBoundaryTest {
    @Test
    void theProcessJobUsesNoFlinkInternalApi() {
        FlinkInternalApi.assertUnusedIn("io.pulse.process");
    }
}
