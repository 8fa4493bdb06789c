"""Pipeline stages; ``edgeway.pipeline.STAGES`` lists them in order."""
