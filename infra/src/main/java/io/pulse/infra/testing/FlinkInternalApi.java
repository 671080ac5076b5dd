package io.pulse.infra.testing;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.Set;

/**
 * The rule that keeps Flink's {@code @Internal} API in process-runtime: a job's own classes (tests
 * aside) name no class Flink annotates {@code @Internal}, except a type that a public Flink interface
 * puts in a signature the job must implement. Read from the class files, so
 * annotations of class retention count too.
 */
public final class FlinkInternalApi {
    private static final String INTERNAL = "org.apache.flink.annotation.Internal";
    /** Named by the signature of {@code KafkaRecordSerializationSchema.serialize} (@PublicEvolving), which a Kafka sink implements. */
    private static final Set<String> IN_PUBLIC_SIGNATURES = Set.of("org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema$KafkaSinkContext");

    private FlinkInternalApi() {}

    /** Fails, naming each use, when a class of {@code pkg} depends on an {@code @Internal} Flink class. */
    public static void assertUnusedIn(String pkg) {
        JavaClasses classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages(pkg);
        if (classes.isEmpty()) {
            throw new AssertionError("no classes of " + pkg + " on the class path: the rule would check nothing");
        }
        DescribedPredicate<JavaClass> internal = DescribedPredicate.describe("are annotated with Flink's @Internal",
                c -> c.isAnnotatedWith(INTERNAL) && !IN_PUBLIC_SIGNATURES.contains(c.getName()));
        noClasses().should().dependOnClassesThat(internal)
                .because("Flink's @Internal API belongs in process-runtime (process-runtime/RUNTIME.md)")
                .check(classes);
    }
}
