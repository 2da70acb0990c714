"""What a model and a drawing measure: evaluation, explanations, diagnoses. No Qt."""
