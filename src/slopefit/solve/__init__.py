"""The mathematics without a loop: sufficient statistics, exact and penalised solvers, scaling, bounds, inference."""
