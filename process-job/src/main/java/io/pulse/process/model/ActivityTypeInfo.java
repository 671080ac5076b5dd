package io.pulse.process.model;

import org.apache.flink.api.common.ExecutionConfig;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/** Flink type of {@link Activity}: serialized by {@link ActivitySerializer}. */
public final class ActivityTypeInfo extends TypeInformation<Activity> {
    private static final long serialVersionUID = 1L;

    @Override
    public boolean isBasicType() {
        return false;
    }

    @Override
    public boolean isTupleType() {
        return false;
    }

    @Override
    public int getArity() {
        return 1;
    }

    @Override
    public int getTotalFields() {
        return 1;
    }

    @Override
    public Class<Activity> getTypeClass() {
        return Activity.class;
    }

    @Override
    public boolean isKeyType() {
        return false;
    }

    @Override
    public TypeSerializer<Activity> createSerializer(SerializerConfig config) {
        return new ActivitySerializer();
    }

    @Override
    @SuppressWarnings("deprecation")
    public TypeSerializer<Activity> createSerializer(ExecutionConfig config) {
        return new ActivitySerializer();
    }

    @Override
    public String toString() {
        return "Activity";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ActivityTypeInfo;
    }

    @Override
    public int hashCode() {
        return ActivityTypeInfo.class.hashCode();
    }

    @Override
    public boolean canEqual(Object o) {
        return o instanceof ActivityTypeInfo;
    }
}
