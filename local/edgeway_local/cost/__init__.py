"""`edgeway cost`: what a month of traffic costs, per component and per million requests."""

from .model import ConfigFacts, Estimate, Line, PlanFacts, Workload, estimate, http_api, lambda_cost, waf

__all__ = ["ConfigFacts", "Estimate", "Line", "PlanFacts", "Workload", "estimate", "http_api",
           "lambda_cost", "waf"]
