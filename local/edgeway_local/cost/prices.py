"""Every price `edgeway cost` uses, in one place, each with the date it was entered.

US East (N. Virginia) list prices in USD, on-demand, without free tiers or
savings plans. To update: change the number and its ``as_of``; the tests check
the arithmetic against AWS's published examples (tests/local/test_cost.py), so
a changed price shows up there too. Sources: the AWS pricing pages of each
service (aws.amazon.com/<service>/pricing).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Price:
    usd: float
    unit: str
    as_of: str          # when this number was entered (YYYY-MM-DD)
    note: str = ""


# A month as AWS bills it (730 hours).
MONTH_SECONDS = 730 * 3600
DATE = "2026-12-04"

# API Gateway
HTTP_API_PER_M = Price(1.00, "per million requests, first 300 M", DATE)
HTTP_API_PER_M_OVER_300M = Price(0.90, "per million requests above 300 M", DATE)
HTTP_API_TIER_M = 300.0
REST_API_PER_M = Price(3.50, "per million requests, first 333 M", DATE)

# Lambda (arm64)
LAMBDA_ARM_GB_S = Price(0.0000133334, "per GB-second, arm64, first 7.5 B GB-s", DATE)
LAMBDA_X86_GB_S = Price(0.0000166667, "per GB-second, x86_64 (Lambda@Edge is priced apart)", DATE)
LAMBDA_REQUESTS_PER_M = Price(0.20, "per million requests", DATE)

# DynamoDB on-demand (prices after the November 2024 reduction)
DYNAMODB_WRU_PER_M = Price(0.625, "per million write request units (1 KB)", DATE)
DYNAMODB_RRU_PER_M = Price(0.125, "per million read request units (4 KB strong, 2 x eventual)", DATE)
DYNAMODB_RWRU_PER_M = Price(0.625, "per million replicated write units (global tables, per replica)", DATE)

# Route 53
R53_ZONE_MONTH = Price(0.50, "per hosted zone per month", DATE)
R53_QUERIES_PER_M = Price(0.80, "per million IP-based (CIDR) routing queries", DATE)
R53_HEALTH_CHECK_MONTH = Price(0.50, "per health check per month (AWS endpoint)", DATE)
R53_HEALTH_CHECK_HTTPS_MONTH = Price(1.00, "per health check per month, HTTPS option", DATE)

# CloudFront (North America / Europe)
CLOUDFRONT_HTTPS_PER_M = Price(1.00, "per million HTTPS requests ($0.0100 per 10,000)", DATE)
CLOUDFRONT_DTO_GB = Price(0.085, "per GB to the internet, first 10 TB", DATE)
CLOUDFRONT_ORIGIN_GB = Price(0.020, "per GB from the edge to the origin", DATE)
CLOUDFRONT_FUNCTION_PER_M = Price(0.10, "per million CloudFront Function invocations", DATE)
KVS_READS_PER_M = Price(0.03, "per million KeyValueStore reads from a function", DATE)
KVS_API_PER_K = Price(1.00, "per thousand KeyValueStore API calls (the sync)", DATE)
LAMBDA_EDGE_PER_M = Price(0.60, "per million Lambda@Edge requests", DATE)
LAMBDA_EDGE_GB_S = Price(0.00005001, "per Lambda@Edge GB-second (x86_64)", DATE)

# AWS WAF
WAF_ACL_MONTH = Price(5.00, "per web ACL per month", DATE)
WAF_RULE_MONTH = Price(1.00, "per rule (or rule group reference) per month", DATE)
WAF_REQUESTS_PER_M = Price(0.60, "per million requests inspected", DATE)

# Data transfer out of a region to the internet (API Gateway without CloudFront);
# from a region to CloudFront it is free.
REGION_DTO_GB = Price(0.09, "per GB to the internet, first 10 TB", DATE)
