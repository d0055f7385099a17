"""Write the Acme example org (examples/acme/org/) from a fixed random seed.

Acme is a small SaaS company: six teams, eight services, one quarter of
deployments, incidents, pull requests and CI runs. The story points that the
example report shows (the failed deployments, the incidents, the web team's
billing-schema migration) are fixed below; the everyday traffic around them
is drawn from a seeded generator, so re-running this script reproduces the
committed files byte for byte. The postmortems in org/postmortems/ are
written by hand and only cross-checked here.

    python examples/acme/generate.py           # rewrite the data files
    python examples/acme/generate.py --check   # exit 1 if they would change

Only the standard library is used, so the script runs without the package.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import re
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ORG = HERE / "org"
SEED = 20261120
NOW = datetime(2026, 11, 20, tzinfo=UTC)
START = NOW - timedelta(days=90)  # 2026-08-22, the default 90d window
EXPORTED = "2026-11-19"

# --------------------------------------------------------------------------- teams


def _m(handle: str, name: str, role: str) -> dict[str, str]:
    first, *rest = name.lower().replace("é", "e").replace("á", "a").replace("í", "i").split()
    email = f"{first}.{rest[-1]}@acme.example" if rest else f"{first}@acme.example"
    return {"handle": handle, "name": name, "email": email, "role": role}


TEAMS: list[dict[str, Any]] = [
    {
        "id": "payments", "name": "Payments", "type": "stream-aligned",
        "mission": "Invoices, subscriptions and card payments that customers never "
                   "have to think about.",
        "members": [
            _m("hgruber", "Helena Gruber", "Engineering Manager"),
            _m("tferreira", "Tomás Ferreira", "Staff Software Engineer"),
            _m("aisha-bello", "Aisha Bello", "Senior Software Engineer"),
            _m("rohan-iyer", "Rohan Iyer", "Senior Software Engineer"),
            _m("jlindqvist", "Jonas Lindqvist", "Software Engineer"),
            _m("meitanaka", "Mei Tanaka", "Software Engineer"),
        ],
    },
    {
        "id": "web", "name": "Web", "type": "stream-aligned",
        "mission": "The storefront and the customer account pages: fast and accessible "
                   "in every browser.",
        "members": [
            _m("cdubois", "Claire Dubois", "Engineering Manager"),
            _m("dokafor", "Daniel Okafor", "Staff Engineer"),
            _m("mwebb", "Marcus Webb", "Senior Frontend Engineer"),
            _m("sofia-rossi", "Sofia Rossi", "Frontend Engineer"),
            _m("lhoffmann", "Lena Hoffmann", "Software Engineer"),
            _m("kwatanabe", "Kenji Watanabe", "Frontend Engineer"),
            _m("priya-nair", "Priya Nair", "Product Designer"),
        ],
    },
    {
        "id": "identity", "name": "Identity", "type": "stream-aligned",
        "mission": "Sign-in, single sign-on and account security for every Acme customer.",
        "members": [
            _m("fzahra", "Fatima Zahra", "Engineering Manager"),
            _m("mbenedetti", "Marco Benedetti", "Senior Software Engineer"),
            _m("onowak", "Olek Nowak", "Security Engineer"),
            _m("gracekim", "Grace Kim", "Software Engineer"),
        ],
    },
    {
        "id": "search", "name": "Search", "type": "complicated-subsystem",
        "mission": "Relevant results in under 200 ms, whatever customers type.",
        "members": [
            _m("isolberg", "Ingrid Solberg", "Engineering Manager"),
            _m("rmenon", "Ravi Menon", "Staff Engineer"),
            _m("lmartin", "Lucas Martin", "Software Engineer"),
            _m("ydemir", "Yusuf Demir", "Software Engineer"),
            _m("anacosta", "Ana Costa", "Data Scientist"),
        ],
    },
    {
        "id": "mobile", "name": "Mobile", "type": "stream-aligned",
        "mission": "The iOS and Android apps and the backend-for-frontend they talk to.",
        "members": [
            _m("cbernard", "Chloé Bernard", "Engineering Manager"),
            _m("sadeyemi", "Samuel Adeyemi", "Senior Mobile Engineer"),
            _m("hnovak", "Hana Novak", "Mobile Engineer"),
            _m("dramirez", "Diego Ramírez", "Software Engineer"),
        ],
    },
    {
        "id": "core-infra", "name": "Core Infrastructure", "type": "platform",
        "github": "core-infrastructure",
        "mission": "Paved roads for every team: CI, deploys, the edge and the data platform.",
        "members": [
            _m("phaas", "Peter Haas", "Engineering Manager"),
            _m("neriksen", "Nora Eriksen", "Staff Site Reliability Engineer"),
            _m("ahassan", "Ahmed Hassan", "Site Reliability Engineer"),
            _m("kmensah", "Kwame Mensah", "Site Reliability Engineer"),
            _m("jschneider", "Julia Schneider", "Senior Platform Engineer"),
            _m("vpetrov", "Victor Petrov", "Platform Engineer"),
            _m("iortega", "Isabel Ortega", "Platform Engineer"),
            _m("ewalsh", "Emma Walsh", "Senior Data Engineer"),
            _m("chenwei", "Chen Wei", "Data Engineer"),
            _m("tbrandt", "Tobias Brandt", "Data Engineer"),
            _m("slindgren", "Sara Lindgren", "Technical Program Manager"),
        ],
    },
]

SERVICES: list[dict[str, Any]] = [
    {"id": "billing-api", "owner": "payments", "repos": ["acme/billing-api"],
     "paths": ["cmd/billing-api/", "internal/", "migrations/"], "tier": 1},
    {"id": "web", "owner": "web", "repos": ["acme/web"],
     "paths": ["apps/storefront/", "apps/account/", "packages/ui/"], "tier": 1},
    {"id": "auth", "owner": "identity", "repos": ["acme/auth"],
     "paths": ["src/", "config/"], "tier": 1},
    {"id": "notifications", "owner": "identity", "repos": ["acme/notifications"],
     "paths": ["src/", "templates/"], "tier": 2},
    {"id": "search", "owner": "search", "repos": ["acme/search"],
     "paths": ["indexer/", "query/", "ranking/"], "tier": 2},
    {"id": "mobile-bff", "owner": "mobile", "repos": ["acme/mobile-bff"],
     "paths": ["src/main/kotlin/"], "tier": 2},
    {"id": "data-pipeline", "owner": "core-infra", "repos": ["acme/data-pipeline"],
     "paths": ["dags/", "dbt/", "consumers/"], "tier": 2},
    {"id": "edge-gateway", "owner": "core-infra", "repos": ["acme/edge-gateway"],
     "paths": ["envoy/", "terraform/"], "tier": 1},
]
SERVICE_OWNER = {s["id"]: s["owner"] for s in SERVICES}
REPO = {s["id"]: s["repos"][0] for s in SERVICES}

# Who writes code in each service's repository (handles, most active first).
AUTHORS = {
    "billing-api": ["tferreira", "aisha-bello", "rohan-iyer", "jlindqvist", "meitanaka"],
    "web": ["mwebb", "sofia-rossi", "dokafor", "lhoffmann", "kwatanabe"],
    "auth": ["mbenedetti", "gracekim", "onowak"],
    "notifications": ["gracekim", "mbenedetti"],
    "search": ["rmenon", "lmartin", "ydemir", "anacosta"],
    "mobile-bff": ["sadeyemi", "dramirez", "hnovak"],
    "data-pipeline": ["ewalsh", "chenwei", "tbrandt"],
    "edge-gateway": ["neriksen", "jschneider", "vpetrov", "iortega", "ahassan", "kmensah"],
}
REVIEWERS = {
    "billing-api": ["tferreira", "aisha-bello", "rohan-iyer", "jlindqvist", "hgruber"],
    "web": ["dokafor", "mwebb", "sofia-rossi", "lhoffmann", "kwatanabe"],
    "auth": ["mbenedetti", "onowak", "gracekim"],
    "notifications": ["mbenedetti", "onowak", "gracekim"],
    "search": ["rmenon", "lmartin", "ydemir", "anacosta"],
    "mobile-bff": ["sadeyemi", "hnovak", "dramirez"],
    "data-pipeline": ["ewalsh", "chenwei", "tbrandt", "neriksen"],
    "edge-gateway": ["neriksen", "jschneider", "vpetrov", "ahassan", "iortega", "kmensah"],
}
PR_BASE = {
    "billing-api": 2206, "web": 1838, "auth": 927, "notifications": 151, "search": 611,
    "mobile-bff": 404, "data-pipeline": 1318, "edge-gateway": 287,
}

# ---------------------------------------------------------------- pull request titles

TITLES: dict[str, list[str]] = {
    "billing-api": [
        "Add proration preview endpoint for plan changes",
        "Fix rounding of VAT on multi-currency invoices",
        "Retry Stripe webhooks with exponential backoff",
        "Move invoice PDF rendering to a background job",
        "Expose dunning state on the subscription resource",
        "Validate coupon expiry against the billing period",
        "Bump stripe-go to v79",
        "Log payment intent ids on declined charges",
        "Add index on invoices(account_id, issued_at)",
        "Handle partial refunds in the ledger export",
        "Return 409 when a subscription is already cancelled",
        "Split InvoiceService into issuing and delivery",
        "Add metrics for webhook processing lag",
        "Support SEPA mandates for new EU accounts",
        "Fix trial end date for accounts created on Feb 29",
        "Feature flag for annual plan discounts",
        "Remove legacy PayPal sandbox config",
        "Document the billing event schema",
        "Tighten rate limits on the public invoices API",
        "Backfill tax_region for accounts created before 2024",
        "Cache exchange rates for five minutes",
        "Fix flaky test for subscription renewal",
        "Emit invoice.finalized events to the event bus",
        "Add audit log entries for manual credits",
        "Reduce DB round trips when listing invoices",
        "Bump golang.org/x/net to v0.29.0",
        "Clean up unused plan migration scripts",
        "Add dry-run mode to the dunning job",
        "Show next invoice date in the subscription API",
        "Store provider decline codes on failed charges",
        "Fix currency symbol for CHF invoices",
        "Add pagination to the credit notes endpoint",
        "Serve billing schema v2 endpoints behind a header",
        "Add v2 invoice line items with tax breakdown",
        "Alert on outbound invoice emails per invoice id",
        "Expose plan price objects in the v2 API",
    ],
    "web": [
        "Lazy-load product images below the fold",
        "Fix focus trap in the address modal",
        "Add skeleton loaders to the order history page",
        "Upgrade Next.js to 14.2.15",
        "Localise checkout error messages (de, fr, es)",
        "Fix layout shift on the product detail page",
        "Add aria-labels to icon buttons in the header",
        "Prefetch cart on hover of the cart icon",
        "Replace moment with date-fns in account pages",
        "Fix coupon field losing its value on step change",
        "Track checkout step timings in RUM",
        "Add dark mode tokens to the design system",
        "Remove unused Intercom snippet",
        "Show saved cards on the payment step",
        "Fix double submit on the place order button",
        "Add Playwright smoke test for guest checkout",
        "Bump eslint-config to the flat config format",
        "Compress hero images with AVIF",
        "Render order confirmation on the server",
        "Add empty state for wishlists",
        "Debounce search suggestions to 150 ms",
        "Move feature flags to the edge config",
        "Fix broken link to the returns policy",
        "Cache category pages for 60 seconds at the edge",
        "Show delivery estimate on product cards",
        "Add keyboard navigation to the mega menu",
        "Fix currency formatting for en-CH",
        "Split checkout bundle by route",
        "Add Storybook stories for form fields",
        "Use the new address autocomplete API",
        "Clean up the free shipping bar A/B test",
        "Bump @sentry/nextjs to 8.33",
    ],
    "auth": [
        "Add WebAuthn registration for admin accounts",
        "Rotate refresh tokens on every use",
        "Allow 90 seconds of clock skew on SAML assertions",
        "Rate-limit password logins per IP and account",
        "Add SCIM deprovisioning endpoint",
        "Bump jose to 5.9.3",
        "Log SSO assertion errors with the tenant id",
        "Expire sessions after a password change",
        "Add Okta OIDC integration test",
        "Move the session store to the Redis cluster",
        "Fix redirect loop when MFA is required",
        "Add breached-password check on signup",
        "Shorten access token lifetime to 10 minutes",
        "Add admin API to revoke all sessions of a user",
        "Treat email addresses case-insensitively at login",
        "Add metrics for token verification results by kid",
        "Validate redirect_uri against registered patterns",
        "Remove the deprecated /v1/login endpoint",
        "Add audit events for MFA changes",
        "Fix SameSite attribute of the remember-me cookie",
        "Automate signing key rotation with an overlap window",
        "Document the signing key rotation procedure",
    ],
    "notifications": [
        "Add per-template rate limits",
        "Fix unsubscribe link for the German locale",
        "Bump @aws-sdk/client-ses to 3.654",
        "Add queue depth metrics per consumer",
        "Retry SMTP 4xx responses with jitter",
        "Render email previews in CI",
        "Give password reset emails their own queue",
    ],
    "search": [
        "Reindex listings in batches of 200",
        "Bump opensearch-java to 2.13",
        "Boost in-stock items in ranking",
        "Fix highlighting for accented characters",
        "Add query log sampling for relevance analysis",
        "Use ICU folding for German compound words",
        "Add typo tolerance for queries longer than 5 characters",
        "Paginate with search_after instead of from/size",
        "Add circuit breaker around the ranking service",
        "Fix facet counts for variant products",
        "Add A/B bucket to search responses",
        "Bump jackson-databind to 2.18.0",
        "Drop the deprecated relevance_v1 scorer",
        "Warm caches for the top 1000 queries after deploy",
        "Add replay harness for production query logs",
        "Fix NullPointerException on empty category filter",
        "Tune BM25 parameters for short titles",
    ],
    "mobile-bff": [
        "Add endpoint for home feed v3",
        "Return WebP image URLs for Android clients",
        "Fix timezone of order timestamps in the iOS payload",
        "Bump ktor to 2.3.12",
        "Cache the home feed per segment for 30 seconds",
        "Add push token refresh endpoint",
        "Remove legacy v1 cart endpoints",
        "Return 503 with Retry-After when promotions are slow",
        "Add app version to request logs",
        "Paginate order history",
        "Add feature flag for the new checkout on iOS",
        "Propagate trace headers to downstream calls",
        "Shrink the product payload by 40%",
        "Stop retry storms on token refresh",
        "Add health check for the recommendations client",
        "Return localised delivery estimates",
        "Raise the connection pool for the catalog service",
    ],
    "data-pipeline": [
        "Add dbt model for daily revenue by plan",
        "Partition the orders fact table by day",
        "Bump confluent-kafka to 2.5.3",
        "Move the revenue export to its own warehouse reservation",
        "Add freshness tests to finance models",
        "Backfill search click events for September",
        "Add an Airflow SLA for the revenue export",
        "Deduplicate events by event_id in staging models",
        "Rename customer_ltv to customer_lifetime_value",
        "Speed up the incremental sessions model",
        "Add a data contract for mobile order events",
        "Document the dead-letter replay procedure",
        "Alert on dead-letter queue growth",
        "Add row-count reconciliation for order events",
    ],
    "edge-gateway": [
        "Add rate-limit headers to 429 responses",
        "Enable HTTP/3 on the public edge",
        "Bump envoy to 1.31.2",
        "Route /api/search to the new search cluster",
        "Add WAF rule for credential stuffing patterns",
        "Move edge certificates to ACM",
        "Document the edge config rollout",
        "Raise upstream timeout for billing exports",
    ],
}
MIGRATION_TITLES = [
    "Billing schema v2: generate the typed client from the new OpenAPI spec",
    "Billing schema v2: read invoices through InvoiceV2 on account pages",
    "Billing schema v2: migrate the plan picker to price objects",
    "Billing schema v2: move the subscription summary to the v2 API",
    "Billing schema v2: port payment method management",
    "Billing schema v2: rewrite the invoice list as server components",
    "Billing schema v2: migrate checkout totals and tax lines",
    "Billing schema v2: replace the legacy Money helpers",
    "Billing schema v2: migrate credit notes and refunds views",
    "Billing schema v2: update fixtures and MSW handlers",
    "Billing schema v2: migrate the coupon flow",
    "Billing schema v2: port dunning banners",
    "Billing schema v2: migrate the admin billing tools",
    "Billing schema v2: switch order confirmation to v2 totals",
    "Billing schema v2: migrate the usage-based add-ons UI",
    "Billing schema v2: regenerate snapshots for the new invoice layout",
]
N_MIGRATIONS = 16

# --------------------------------------------------------- the story (fixed events)


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# Deployments the incidents and postmortems talk about: id, service, finished_at,
# kind, remediates, title of the change it shipped first (None for rollbacks).
ANCHORS = [
    ("dep-5512", "billing-api", "2026-09-03T09:12:40Z", "normal", None,
     "Retry invoice email sends on provider timeouts"),
    ("dep-5514", "billing-api", "2026-09-03T10:06:05Z", "rollback", "dep-5512", None),
    ("dep-5560", "web", "2026-09-18T16:41:12Z", "normal", None,
     "Parse house numbers in the address form with one regex"),
    ("dep-5563", "web", "2026-09-19T09:18:30Z", "hotfix", "dep-5560",
     "Hotfix: remove the regex lookbehind from the address parser"),
    ("dep-5601", "mobile-bff", "2026-10-01T14:20:51Z", "normal", None,
     "Hedge product detail requests after 80 ms"),
    ("dep-5602", "mobile-bff", "2026-10-01T14:58:09Z", "rollback", "dep-5601", None),
    ("dep-5618", "auth", "2026-10-07T08:55:27Z", "normal", None,
     "Sign tokens with the 2026-10 key (kid acme-2026-10)"),
    ("dep-5621", "auth", "2026-10-07T11:40:44Z", "hotfix", "INC-739",
     "Hotfix: publish the 2026-10 key in JWKS next to the previous key"),
    ("dep-5649", "search", "2026-10-19T08:30:02Z", "normal", None,
     "Enable synonym expansion for all queries"),
    ("dep-5690", "notifications", "2026-11-03T10:02:16Z", "normal", None,
     "Tune consumer concurrency per queue"),
    ("dep-5697", "web", "2026-11-05T15:30:38Z", "normal", None,
     "Load analytics through the consent manager"),
    ("dep-5699", "web", "2026-11-06T09:10:57Z", "hotfix", "dep-5697",
     "Hotfix: wait for the consent state before loading analytics"),
    ("dep-5708", "data-pipeline", "2026-11-09T07:40:19Z", "normal", None,
     "Upgrade the schema registry client to 7.7"),
]
# Who wrote the change an anchor shipped first and pressed deploy (the on-call
# engineer for rollbacks), so that data and postmortems tell the same story.
WHO = {
    "dep-5512": "jlindqvist", "dep-5514": "tferreira", "dep-5560": "kwatanabe",
    "dep-5563": "mwebb", "dep-5601": "dramirez", "dep-5602": "sadeyemi",
    "dep-5618": "mbenedetti", "dep-5621": "mbenedetti", "dep-5649": "lmartin",
    "dep-5690": "gracekim", "dep-5697": "lhoffmann", "dep-5699": "lhoffmann",
    "dep-5708": "chenwei",
}
# The first change of a repository merged after a moment gets this title (follow-ups).
FOLLOW_UPS = [
    ("search", "2026-08-27T15:30:00Z", "Flush indexing batches every 5 seconds"),
    ("search", "2026-08-28T12:00:00Z", "Add an index freshness metric"),
    ("billing-api", "2026-09-03T12:30:00Z", "Use idempotency keys for invoice email sends"),
    ("web", "2026-09-21T08:00:00Z", "Check bundles against our browserslist in CI"),
    ("edge-gateway", "2026-09-22T08:00:00Z", "Add WebKit synthetic checks for checkout"),
    ("auth", "2026-10-08T08:00:00Z", "Check that the signing kid is published before deploy"),
    ("search", "2026-10-19T14:00:00Z", "Cap query expansion at 24 terms"),
    ("billing-api", "2026-10-28T08:00:00Z", "Handle 3DS challenge timeouts from the card provider"),
    ("notifications", "2026-11-03T13:00:00Z", "Set consumer concurrency per queue explicitly"),
    ("data-pipeline", "2026-11-09T09:00:00Z", "Pin the Avro client and add a compatibility test"),
    ("data-pipeline", "2026-11-10T14:10:00Z", "Dead-letter undecodable events instead of dropping"),
]
# Deployments that did not go live, and older ones exported before the window.
OTHER_DEPLOYMENTS = [
    ("web", "2026-10-22T14:12:33Z", "failure", "production"),  # health check failed
    ("billing-api", "2026-10-13T15:47:02Z", "canceled", "production"),
    ("web", "2026-08-11T10:21:09Z", "success", "production"),
    ("billing-api", "2026-08-12T13:02:44Z", "success", "production"),
    ("auth", "2026-08-13T09:48:17Z", "success", "production"),
    ("search", "2026-08-17T11:35:50Z", "success", "production"),
    ("web", "2026-08-18T14:55:21Z", "success", "production"),
    ("data-pipeline", "2026-08-20T08:31:05Z", "success", "production"),
    # the follow-ups of INC-746 and INC-748
    ("notifications", "2026-11-04T09:41:27Z", "success", "production"),
    ("data-pipeline", "2026-11-10T14:06:48Z", "success", "production"),
    ("data-pipeline", "2026-11-12T10:33:15Z", "success", "production"),
]
# Generated everyday production deployments per service inside the window.
EVERYDAY = {
    "web": 13, "billing-api": 10, "auth": 7, "search": 6, "mobile-bff": 6,
    "data-pipeline": 3, "edge-gateway": 3, "notifications": 0,
}
STAGING_OF = {"billing-api": 2, "mobile-bff": 2}

# Incidents as PagerDuty exported them (times shown in the account's Europe/Berlin
# offset): id, severity, service, title, created, resolved, caused_by, status.
INCIDENTS = [
    ("INC-726", "SEV3", "search", "Newly published listings missing from search results",
     "2026-08-27T10:14:00Z", "2026-08-27T15:20:00Z", "dep-5398", "resolved"),
    ("INC-731", "SEV2", "billing-api", "Customers received duplicate invoice emails",
     "2026-09-03T09:41:00Z", "2026-09-03T12:11:00Z", "dep-5512", "resolved"),
    ("INC-733", "SEV3", "auth", "SSO login failing for the Northwind Traders tenant",
     "2026-09-10T13:05:00Z", "2026-09-10T20:02:00Z", None, "resolved"),
    ("INC-736", "SEV1", "web", "Checkout page blank in Safari on older iOS versions",
     "2026-09-19T07:52:00Z", "2026-09-19T09:40:00Z", "dep-5560", "resolved"),
    ("INC-738", "SEV3", "data-pipeline", "Nightly revenue export to finance delayed",
     "2026-09-29T06:30:00Z", "2026-09-29T20:40:00Z", None, "resolved"),
    ("INC-739", "SEV1", "auth", "Login outage: tokens rejected after signing key rotation",
     "2026-10-07T09:03:00Z", "2026-10-07T12:15:00Z", "dep-5618", "resolved"),
    ("INC-741", "SEV4", "mobile-bff", "Android push notifications delayed up to 20 minutes",
     "2026-10-14T11:20:00Z", "2026-10-14T17:26:00Z", None, "resolved"),
    ("INC-742", "SEV2", "search", "Search p99 latency above 4 seconds",
     "2026-10-19T09:47:00Z", "2026-10-19T13:50:00Z", "dep-5649", "resolved"),
    ("INC-744", "SEV2", "billing-api", "EU card payments declined on 3-D Secure timeouts",
     "2026-10-27T13:10:00Z", "2026-10-27T18:04:00Z", None, "resolved"),
    ("INC-746", "SEV3", "notifications", "Password reset emails delayed by up to 40 minutes",
     "2026-11-03T10:48:00Z", "2026-11-03T12:50:00Z", "dep-5690", "resolved"),
    ("INC-748", "SEV2", "data-pipeline", "Warehouse load dropped 6% of order events",
     "2026-11-09T11:25:00Z", "2026-11-09T21:31:00Z", "dep-5708", "resolved"),
    ("INC-750", "SEV2", "web", "Product image uploads failing for sellers",
     "2026-11-16T14:05:00Z", "2026-11-16T17:02:00Z", None, "resolved"),
    ("INC-752", "SEV3", "mobile-bff", "Intermittent 502s from mobile-bff on the iOS app",
     "2026-11-19T16:20:00Z", None, None, "acknowledged"),
]

ITERATIONS = [
    # team, name, start, end, capacity, committed, unplanned, unit
    ("payments", "Sprint 41", "2026-10-05", "2026-10-16", 60, 46, 9, "points"),
    ("payments", "Sprint 42", "2026-10-19", "2026-10-30", 58, 44, 12, "points"),
    ("payments", "Sprint 43", "2026-11-02", "2026-11-13", 62, 48, 7, "points"),
    ("web", "Storefront 19", "2026-10-05", "2026-10-16", 70, 55, 6, "points"),
    ("web", "Storefront 20", "2026-10-19", "2026-10-30", 66, 50, 8, "points"),
    ("web", "Storefront 21", "2026-11-02", "2026-11-13", 70, 52, 10, "points"),
    ("identity", "ID-2026-20", "2026-10-06", "2026-10-19", 38, 30, 14, "points"),
    ("identity", "ID-2026-21", "2026-10-20", "2026-11-02", 40, 29, 5, "points"),
    ("identity", "ID-2026-22", "2026-11-03", "2026-11-16", 40, 30, 8, "points"),
    ("search", "Search 2026.21", "2026-10-19", "2026-10-30", 45, 34, 9, "points"),
    ("search", "Search 2026.22", "2026-11-02", "2026-11-13", 45, 33, 4, "points"),
    ("mobile", "Mobile 58", "2026-10-05", "2026-10-16", 40, 30, 6, "points"),
    ("mobile", "Mobile 59", "2026-10-19", "2026-10-30", 36, 33, 7, "points"),
    ("mobile", "Mobile 60", "2026-11-02", "2026-11-13", 40, 38, 9, "points"),
    ("core-infra", "Cycle 2026-Q4-1", "2026-09-28", "2026-10-16", 880, 652, 140, "hours"),
    ("core-infra", "Cycle 2026-Q4-2", "2026-10-19", "2026-11-06", 860, 640, 175, "hours"),
]

GOALS = [
    {"id": "OKR-1", "team": "payments",
     "objective": "Billing changes are safe to ship on any weekday",
     "key_results": [
         {"metric": "change failure rate of billing-api deployments", "baseline": 0.18,
          "target": 0.08, "due": "2026-12-31"},
         {"metric": "share of invoices sent more than once", "baseline": 0.004,
          "target": 0.0005, "due": "2026-12-31"}]},
    {"id": "OKR-2", "team": "web",
     "objective": "Checkout never makes a customer wait",
     "key_results": [
         {"metric": "p75 largest contentful paint on checkout (ms)", "baseline": 2300,
          "target": 1200, "due": "2026-12-15"},
         {"metric": "account pages served from billing schema v2", "baseline": 0.0,
          "target": 1.0, "due": "2026-12-31"}]},
    {"id": "OKR-3", "team": "identity",
     "objective": "Signing in just works, also for SSO customers",
     "key_results": [
         {"metric": "successful logins / login attempts", "baseline": 0.962,
          "target": 0.99, "due": "2026-12-31"},
         {"metric": "days from SSO request to first SSO login", "baseline": 9,
          "target": 2, "due": "2027-01-31"}]},
    {"id": "OKR-4", "team": "search",
     "objective": "Customers find what they need on the first query",
     "comment": "baseline follows once the new click events are in the warehouse",
     "key_results": [
         {"metric": "click-through rate on the first results page", "target": 0.45,
          "due": "2027-01-31"}]},
    {"id": "OKR-5", "team": "core-infra",
     "objective": "Every team can recover from an incident within hours",
     "key_results": [
         {"metric": "median time to restore (hours)", "baseline": 9.5, "target": 4,
          "due": "2026-12-31"},
         {"metric": "median CI run duration (minutes)", "baseline": 8.2, "target": 5,
          "due": "2026-12-31"}]},
]

# Westrum survey: mean answer each team tends to give, and how many answered.
SURVEY = {
    "payments": (5.9, 5), "web": (5.9, 5), "identity": (5.4, 5),
    "search": (4.2, 5), "mobile": (6.0, 2), "core-infra": (5.5, 5),
}

CI_WORKFLOWS = {  # repo service -> [(workflow, median minutes, runs on pull requests)]
    "billing-api": [("test", 7.4, 1.0)],
    "web": [("ci", 6.1, 1.0), ("e2e", 13.5, 0.2)],
    "auth": [("build", 5.2, 1.0)],
    "notifications": [("ci", 3.6, 1.0)],
    "search": [("ci", 8.3, 1.0)],
    "mobile-bff": [("ci", 4.4, 1.0)],
    "data-pipeline": [("dbt-ci", 9.6, 1.0)],
    "edge-gateway": [("terraform", 2.7, 1.0)],
}

# ----------------------------------------------------------------------- helpers


def z(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def berlin(dt: datetime) -> str:
    """The timestamp in Europe/Berlin's offset (summer time ends 2026-10-25 01:00 UTC)."""
    hours = 2 if dt < datetime(2026, 10, 25, 1, tzinfo=UTC) else 1
    local = dt + timedelta(hours=hours)
    return local.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{hours}:00"


_PLAIN = re.compile(r"^[^\W\d_][\w .'()/&+\-@,]*$")
_RESERVED = {"yes", "no", "on", "off", "true", "false", "null", "y", "n"}


def q(value: Any, flow: bool = False) -> str:
    """A YAML scalar: plain when that is unambiguous, else a JSON string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return text
    if (_PLAIN.match(text) and text.lower() not in _RESERVED and not text.endswith(" ")
            and not (flow and "," in text)):
        return text
    return json.dumps(text, ensure_ascii=False)


class Gen:
    """The seeded generator; every random draw goes through self.rng, in order."""

    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.deployments: list[dict[str, Any]] = []
        self.changes: list[dict[str, Any]] = []

    def sha(self) -> str:
        return f"{self.rng.getrandbits(160):040x}"

    def work_time(self, lo: datetime, hi: datetime, tries: int = 40) -> datetime:
        """A moment in [lo, hi), preferably on a weekday between 07:00 and 18:00 UTC."""
        span = (hi - lo).total_seconds()
        t = lo
        for _ in range(tries):
            t = lo + timedelta(seconds=int(self.rng.random() * span))
            if t.weekday() < 5 and 7 <= t.hour < 18:
                return t
        return t

    # ------------------------------------------------------------- deployments

    def plan_deployments(self) -> None:
        blocked: list[tuple[datetime, datetime]] = []
        anchors = {a[0]: a for a in ANCHORS}
        for a in ANCHORS:
            t = ts(a[2])
            blocked.append((t - timedelta(hours=2), t + timedelta(hours=2)))
            if a[4] in anchors:
                blocked.append((ts(anchors[a[4]][2]) - timedelta(hours=2),
                                t + timedelta(hours=2)))
        for dep_id, service, fin, kind, remediates, _title in ANCHORS:
            self._add_dep(service, ts(fin), "success", "production", kind, remediates, dep_id)
        for service, fin, status, env in OTHER_DEPLOYMENTS:
            self._add_dep(service, ts(fin), status, env, "normal", None, None)
        for service, n in EVERYDAY.items():
            if not n:
                continue
            lo, hi = START + timedelta(hours=10), NOW - timedelta(hours=30)
            slot = (hi - lo) / n
            for i in range(n):
                for _ in range(500):
                    t = self.work_time(lo + slot * i, lo + slot * (i + 1))
                    t = t.replace(microsecond=0)
                    if t.weekday() >= 5 or any(b0 <= t <= b1 for b0, b1 in blocked):
                        continue
                    near = [d for d in self.deployments if d["service"] == service
                            and abs(d["finished_at"] - t) < timedelta(hours=20)]
                    if not near:
                        break
                else:
                    raise RuntimeError(f"no slot for {service} #{i}")
                self._add_dep(service, t, "success", "production", "normal", None, None)

    def _add_dep(self, service: str, finished: datetime, status: str, env: str, kind: str,
                 remediates: str | None, dep_id: str | None) -> None:
        minutes = {"rollback": (2, 5), "hotfix": (5, 9)}.get(kind, (6, 16))
        started = finished - timedelta(seconds=self.rng.randint(minutes[0] * 60,
                                                                minutes[1] * 60))
        self.deployments.append({
            "id": dep_id, "service": service, "environment": env, "status": status,
            "kind": kind, "started_at": started, "finished_at": finished, "sha": None,
            "changes": [], "remediates": remediates, "triggered_by": None,
        })

    def add_staging(self) -> None:
        for service, n in STAGING_OF.items():
            prod = [d for d in self.deployments if d["service"] == service and d["id"] is None
                    and d["status"] == "success" and d["finished_at"] >= START
                    + timedelta(days=3)]
            for d in self.rng.sample(prod, n):
                fin = d["started_at"] - timedelta(minutes=self.rng.randint(70, 170))
                st = fin - timedelta(minutes=self.rng.randint(5, 11),
                                     seconds=self.rng.randint(0, 59))
                staging = {**d, "environment": "staging", "started_at": st,
                           "finished_at": fin, "_staging_of": d}
                d["_staging"] = staging
                self.deployments.append(staging)

    def number_deployments(self) -> None:
        """Ids grow with time; the deploy tool numbers every environment, so ids have gaps."""
        deps = sorted(self.deployments, key=lambda d: d["started_at"])
        fixed = [i for i, d in enumerate(deps) if d["id"]]
        nums = [int(deps[i]["id"].split("-")[1]) for i in fixed]
        assert nums == sorted(nums), "anchor ids must grow with time"
        segments = [(-1, 5440)] + list(zip(fixed, nums, strict=True))
        for (i0, n0), (i1, n1) in zip(segments, segments[1:], strict=False):
            free = range(n0 + 1, n1) if i0 >= 0 else range(n0, n1)
            pick = sorted(self.rng.sample(free, i1 - i0 - 1))
            for j, num in zip(range(i0 + 1, i1), pick, strict=True):
                deps[j]["id"] = f"dep-{num}"
        num = nums[-1]
        for d in deps[fixed[-1] + 1:]:
            num += self.rng.randint(1, 5)
            d["id"] = f"dep-{num}"
        self.deployments = deps

    # ----------------------------------------------------------------- changes

    def new_change(self, service: str, merged: datetime, hotfix: bool = False) -> dict[str, Any]:
        rng = self.rng
        if hotfix:
            created = merged - timedelta(minutes=rng.randint(18, 40))
            first = created - timedelta(minutes=rng.randint(6, 25))
        else:
            created = self._before(merged, 16 * 3600, 0.9, 2400, 5 * 86400)
            first = self._before(created, 4 * 3600, 1.1, 180, 3 * 86400)
        author = rng.choices(AUTHORS[service], weights=range(len(AUTHORS[service]) + 3, 3, -1))[0]
        c = {"id": None, "service": service, "repo": REPO[service], "title": None,
             "author": author, "created_at": created, "first_commit_at": first,
             "merged_at": merged, "merge_sha": self.sha(), "additions": 0, "deletions": 0,
             "reviews": [], "_hotfix": hotfix, "_migration": False}
        self.changes.append(c)
        return c

    def _before(self, t: datetime, median: float, sigma: float, lo: float,
                hi: float) -> datetime:
        """A moment a log-normal while before t, preferably in European working hours."""
        for _ in range(20):
            secs = min(max(self.rng.lognormvariate(math.log(median), sigma), lo), hi)
            out = t - timedelta(seconds=int(secs))
            if out.weekday() < 5 and 6 <= out.hour < 19:
                break
        return out

    def ship_changes(self) -> None:
        rng = self.rng
        by_id = {d["id"]: d for d in self.deployments}
        for service in EVERYDAY:
            deps = [d for d in self.deployments if d["service"] == service
                    and d["environment"] == "production"]
            pending: list[dict[str, Any]] = []
            prev: datetime | None = None
            last_good: str | None = None
            for d in deps:
                if d["kind"] == "rollback":
                    d["sha"] = by_id[d["remediates"]]["_before_sha"]
                    prev = d["finished_at"]
                    continue
                if d["kind"] == "hotfix":
                    merged = d["started_at"] - timedelta(minutes=rng.randint(8, 16))
                    new = [self.new_change(service, merged, hotfix=True)]
                else:
                    # changes are merged before the first environment got them
                    hi = d.get("_staging", d)["started_at"] - timedelta(minutes=10)
                    lo = hi - timedelta(days=4)
                    if prev is not None:
                        lo = max(lo, prev + timedelta(minutes=15))
                    weights = [3, 4, 3, 2] if service == "web" else [4, 5, 2]
                    n = rng.choices(range(1, len(weights) + 1), weights=weights)[0]
                    times = sorted(self.work_time(lo, hi) for _ in range(n))
                    new = [self.new_change(service, t) for t in times]
                pending.extend(new)
                d["changes"] = list(pending)
                d["sha"] = max(pending, key=lambda c: c["merged_at"])["merge_sha"]
                d["_before_sha"] = last_good
                d["triggered_by"] = new[-1]["author"]
                if d["status"] == "success":
                    pending = []
                    last_good = d["sha"]
                prev = d["finished_at"]
            last = deps[-1]["finished_at"]
            if service in ("web", "billing-api", "auth", "search", "mobile-bff"):
                lo = max(last + timedelta(hours=1), NOW - timedelta(hours=52))
                self.new_change(service, self.work_time(lo, NOW - timedelta(hours=6)))
        for d in self.deployments:
            src = d.pop("_staging_of", None)
            if src is not None:
                d.update(changes=list(src["changes"]), sha=src["sha"],
                         triggered_by=src["triggered_by"])

    def name_changes(self) -> None:
        """PR numbers per repository in creation order, and titles."""
        rng = self.rng
        for service, base in PR_BASE.items():
            mine = sorted((c for c in self.changes if c["service"] == service),
                          key=lambda c: c["created_at"])
            num = base
            for c in mine:
                num += rng.choice((1, 1, 1, 2, 2, 3))
                c["id"] = str(num)
        by_dep = {d["id"]: d for d in self.deployments}
        for dep_id, _s, _f, _k, _r, title in ANCHORS:
            who = WHO.get(dep_id)
            if title:
                first = min(by_dep[dep_id]["changes"], key=lambda c: c["merged_at"])
                first["title"] = title
                first["author"] = who or first["author"]
            by_dep[dep_id]["triggered_by"] = who or by_dep[dep_id]["triggered_by"]
        for service, after, title in FOLLOW_UPS:
            cands = sorted((c for c in self.changes if c["service"] == service
                            and c["title"] is None and c["merged_at"] >= ts(after)),
                           key=lambda c: c["merged_at"])
            cands[0]["title"] = title
        web = [c for c in self.changes if c["service"] == "web" and c["title"] is None
               and ts("2026-09-07T00:00:00Z") <= c["merged_at"] < ts("2026-11-14T00:00:00Z")]
        migrations = sorted(rng.sample(web, N_MIGRATIONS), key=lambda c: c["merged_at"])
        for c, title in zip(migrations, MIGRATION_TITLES, strict=True):
            c["title"], c["_migration"] = title, True
        for service, pool in TITLES.items():
            pool = list(pool)
            rng.shuffle(pool)
            for c in sorted(self.changes, key=lambda c: c["merged_at"]):
                if c["service"] == service and c["title"] is None:
                    if not pool:
                        raise RuntimeError(f"add more titles for {service}")
                    c["title"] = pool.pop()

    def size_changes(self) -> None:
        rng = self.rng
        for c in sorted(self.changes, key=lambda c: (c["service"], int(c["id"]))):
            if c["_migration"]:
                total = rng.randint(520, 2600)
                dels = int(total * rng.uniform(0.15, 0.45))
            elif c["_hotfix"]:
                total = rng.randint(4, 36)
                dels = int(total * rng.uniform(0.3, 0.6))
            elif c["title"].startswith("Bump"):
                total = rng.randint(2, 24)
                dels = total // 2
            else:
                total = 0
                while not 3 <= total <= 390:
                    total = int(rng.lognormvariate(math.log(70), 0.95))
                dels = int(total * rng.uniform(0.05, 0.6))
            c["additions"], c["deletions"] = total - dels, dels

    def review_changes(self) -> None:
        rng = self.rng
        for c in sorted(self.changes, key=lambda c: c["merged_at"]):
            pool = [r for r in REVIEWERS[c["service"]] if r != c["author"]]
            n = rng.choices((1, 2), weights=(7, 3))[0]
            people = rng.sample(pool, n)
            if c["_migration"] and "tferreira" not in people:
                people.append("tferreira")  # payments reviews every billing-schema change
            lo = c["created_at"] + timedelta(minutes=4)
            hi = c["merged_at"] - timedelta(minutes=2)
            span = max((hi - lo).total_seconds(), 60)
            moments = sorted(self.work_time(lo, lo + timedelta(seconds=span), tries=8)
                             for _ in range(len(people) + 1))
            reviews = []
            first = people[0]
            if rng.random() < 0.18 and not c["_hotfix"]:
                reviews.append((moments.pop(0), first, "CHANGES_REQUESTED"))
            else:
                moments.pop(0)
            reviews.append((moments.pop(), first, "APPROVED"))
            for who in people[1:]:
                state = rng.choices(("APPROVED", "COMMENTED"), weights=(3, 2))[0]
                reviews.append((moments.pop(0), who, state))
            c["reviews"] = [{"user": u, "state": s, "submitted_at": t}
                            for t, u, s in sorted(reviews)]
        self._review_exceptions()

    def _review_exceptions(self) -> None:
        """Three merges without an independent approval, as real histories have."""
        in_window = [c for c in self.changes if c["merged_at"] >= START]
        by_dep = {d["id"]: d for d in self.deployments}
        (hotfix,) = by_dep["dep-5563"]["changes"]
        hotfix["reviews"] = []  # merged by an admin during the Saturday outage
        search = [c for c in in_window if c["service"] == "search"]
        bump = next((c for c in search if c["title"].startswith("Bump")), search[-1])
        other = "rmenon" if bump["author"] != "rmenon" else "lmartin"
        bump["reviews"] = [{"user": other, "state": "COMMENTED",
                            "submitted_at": bump["reviews"][0]["submitted_at"]}]
        edge = [c for c in in_window if c["service"] == "edge-gateway"]
        edge[-1]["reviews"] = [{**edge[-1]["reviews"][0], "state": "CHANGES_REQUESTED"}]

    # ------------------------------------------------------------------ CI runs

    def ci_runs(self) -> list[dict[str, Any]]:
        rng = self.rng
        runs = []

        def run(service: str, wf: str, med: float, branch: str, event: str,
                start: datetime, conclusion: str) -> None:
            secs = rng.lognormvariate(math.log(med * 60), 0.28)
            if conclusion == "failure":
                secs *= rng.uniform(0.35, 1.0)
            elif conclusion == "cancelled":
                secs *= rng.uniform(0.1, 0.6)
            runs.append({"repo": REPO[service], "workflow": wf, "branch": branch,
                         "event": event, "started_at": start,
                         "finished_at": start + timedelta(seconds=int(max(secs, 25))),
                         "conclusion": conclusion})

        for c in sorted(self.changes, key=lambda c: (c["merged_at"], c["id"])):
            branch = _branch(c)
            pushes = [c["created_at"] - timedelta(seconds=rng.randint(20, 300))]
            extra = (rng.random() < 0.3) + (rng.random() < 0.08)
            span = (c["merged_at"] - c["created_at"]).total_seconds()
            pushes += sorted(c["created_at"] + timedelta(seconds=int(rng.uniform(0.1, 0.8)
                                                                     * span))
                             for _ in range(extra))
            for i, push in enumerate(pushes):
                last = i == len(pushes) - 1
                for wf, med, share in CI_WORKFLOWS[c["service"]]:
                    if share < 1 and rng.random() > share:
                        continue
                    concl = "success" if last else rng.choices(
                        ("failure", "success", "cancelled"), weights=(5, 4, 2))[0]
                    run(c["service"], wf, med, branch, "pull_request",
                        push + timedelta(seconds=rng.randint(8, 90)), concl)
            for wf, med, _share in CI_WORKFLOWS[c["service"]]:
                concl = rng.choices(("success", "failure", "cancelled"), weights=(92, 6, 2))[0]
                run(c["service"], wf, med, "main", "push",
                    c["merged_at"] + timedelta(seconds=rng.randint(5, 60)), concl)
        runs = sorted((r for r in runs if START <= r["started_at"] < NOW),
                      key=lambda r: r["started_at"])
        run_id = 18_240_551_023
        for r in runs:
            run_id += rng.randint(900, 60_000)
            r["id"] = str(run_id)
        return runs

    # ------------------------------------------------------------------- survey

    def survey(self) -> list[list[str]]:
        rows = []
        for team, (mean, n) in SURVEY.items():
            # Redraw until the team's mean is near the intended one: a handful of
            # answers is noisy, and the example must tell the same story every time.
            while True:
                mine = [self._answer(team, mean) for _ in range(n)]
                values = [int(v) for r in mine for v in r[2:] if v]
                if abs(sum(values) / len(values) - mean) <= 0.2:
                    break
            rows.extend(mine)
        rows.sort(key=lambda r: (r[1], r[0]))
        return rows

    def _answer(self, team: str, mean: float) -> list[str]:
        rng = self.rng
        day = date(2026, 10, 12) + timedelta(days=rng.randint(0, 4))
        lean = rng.gauss(0, 0.45)
        answers = []
        for _q in range(6):
            if rng.random() < 0.05:
                answers.append("")  # "don't know"
                continue
            v = round(mean + lean + rng.gauss(0, 0.75))
            answers.append(str(min(7, max(1, v))))
        return [team, day.isoformat(), *answers]


def _branch(c: dict[str, Any]) -> str:
    title = c["title"]
    words = re.sub(r"[^a-z0-9 ]+", " ", title.lower().split(": ", 1)[-1]).split()
    stop = {"the", "a", "an", "to", "for", "of", "on", "as", "and", "with", "in", "by",
            "from", "at", "through", "instead", "every", "our", "its"}
    slug = "-".join([w for w in words if w not in stop][:4])
    if c["_hotfix"]:
        return f"hotfix/{slug}"
    if title.startswith("Bump"):
        return f"deps/{slug}"
    if c["_migration"]:
        return f"billing-v2/{slug}"
    verb = title.split()[0].lower()
    prefix = {"fix": "fix", "document": "docs", "remove": "chore", "clean": "chore",
              "rename": "chore"}.get(verb, "feat")
    if verb in ("fix", "document"):
        slug = slug.split("-", 1)[-1]
    return f"{prefix}/{slug}"


# ------------------------------------------------------------------------ writers


def write_teams() -> str:
    out = [f"# Acme engineering teams, exported from the people directory on {EXPORTED}.",
           "teams:"]
    for t in TEAMS:
        out.append(f"  - id: {q(t['id'])}")
        for key in ("name", "type", "github", "mission"):
            if key in t:
                out.append(f"    {key}: {q(t[key])}")
        out.append("    members:")
        for m in t["members"]:
            out.append(f"      - handle: {q(m['handle'])}")
            for key in ("name", "email", "role"):
                out.append(f"        {key}: {q(m[key])}")
    return "\n".join(out) + "\n"


def write_services() -> str:
    out = ["# Service catalog (owner = team id).", "services:"]
    for s in SERVICES:
        out.append(f"  - id: {q(s['id'])}")
        out.append(f"    owner: {q(s['owner'])}")
        out.append(f"    tier: {s['tier']}")
        out.append(f"    repos: [{', '.join(s['repos'])}]")
        out.append(f"    paths: [{', '.join(s['paths'])}]")
    return "\n".join(out) + "\n"


def write_deployments(deps: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    cols = ["id", "service", "environment", "status", "kind", "started_at", "finished_at",
            "sha", "changes", "remediates", "triggered_by"]
    w.writerow(cols)
    for d in sorted(deps, key=lambda d: d["finished_at"]):
        w.writerow([d["id"], d["service"], d["environment"], d["status"], d["kind"],
                    z(d["started_at"]), z(d["finished_at"]), d["sha"] or "",
                    " ".join(c["id"] for c in d["changes"]), d["remediates"] or "",
                    d["triggered_by"] or ""])
    return buf.getvalue()


def write_incidents() -> str:
    out = ["# PagerDuty incidents (times in the account's Europe/Berlin offset).",
           "incidents:"]
    for iid, sev, service, title, created, resolved, cause, status in INCIDENTS:
        out.append(f"  - id: {iid}")
        out.append(f"    title: {q(title)}")
        out.append(f"    severity: {sev}")
        out.append(f"    service: {service}")
        out.append(f"    status: {status}")
        out.append(f"    created_at: {berlin(ts(created))}")
        if resolved:
            out.append(f"    resolved_at: {berlin(ts(resolved))}")
        if cause:
            out.append(f"    caused_by: {cause}")
    return "\n".join(out) + "\n"


def write_changes(changes: list[dict[str, Any]]) -> str:
    lines = []
    for c in sorted(changes, key=lambda c: (c["merged_at"], c["id"])):
        rec = {
            "id": c["id"], "repo": c["repo"], "title": c["title"], "author": c["author"],
            "created_at": z(c["created_at"]), "first_commit_at": z(c["first_commit_at"]),
            "merged_at": z(c["merged_at"]), "merge_sha": c["merge_sha"],
            "additions": c["additions"], "deletions": c["deletions"],
            "reviews": [{"user": r["user"], "state": r["state"],
                         "submitted_at": z(r["submitted_at"])} for r in c["reviews"]],
        }
        lines.append(json.dumps(rec, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def write_ci_runs(runs: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "repo", "workflow", "branch", "event", "started_at", "finished_at",
                "conclusion"])
    for r in runs:
        w.writerow([r["id"], r["repo"], r["workflow"], r["branch"], r["event"],
                    z(r["started_at"]), z(r["finished_at"]), r["conclusion"]])
    return buf.getvalue()


def write_iterations() -> str:
    out = ["# Iterations from the planning tool: capacity and committed work in the",
           "# same unit (points, or hours for core-infra); unplanned arrived mid-iteration.",
           "iterations:"]
    for team, name, start, end, cap, comm, unpl, unit in ITERATIONS:
        out.append(f"  - {{team: {team}, name: {q(name, flow=True)}, start: {start}, end: {end}, "
                   f"capacity: {cap}, committed: {comm}, unplanned: {unpl}, unit: {unit}}}")
    return "\n".join(out) + "\n"


def write_goals() -> str:
    out = ["# Q4 2026 objectives and key results.", "goals:"]
    for g in GOALS:
        out.append(f"  - id: {g['id']}")
        out.append(f"    team: {g['team']}")
        out.append(f"    objective: {q(g['objective'])}")
        if "comment" in g:
            out.append(f"    # {g['comment']}")
        out.append("    key_results:")
        for kr in g["key_results"]:
            first = True
            for key in ("metric", "baseline", "target", "due"):
                if key in kr:
                    lead = "      - " if first else "        "
                    out.append(f"{lead}{key}: {q(kr[key])}")
                    first = False
    return "\n".join(out) + "\n"


def write_survey(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["team", "date", "q1", "q2", "q3", "q4", "q5", "q6"])
    w.writerows(rows)
    return buf.getvalue()


def check_postmortems(deployments: list[dict[str, Any]]) -> None:
    """The hand-written postmortems must name incidents and deployments that exist."""
    incidents = {i[0] for i in INCIDENTS}
    known = {d["id"] for d in deployments} | {"dep-5398"}  # 5398 predates the export
    for path in sorted((ORG / "postmortems").glob("*.md")):
        text = path.read_text("utf-8")
        m = re.search(r"^incident: (\S+)$", text, re.M)
        if not m or m.group(1) not in incidents:
            raise SystemExit(f"{path.name}: names an unknown incident")
        for dep in re.findall(r"\bdep-\d+\b", text):
            if dep not in known:
                raise SystemExit(f"{path.name}: names {dep}, which is not generated")


def build() -> dict[str, str]:
    """Every generated file (path relative to org/) and its text."""
    g = Gen()
    g.plan_deployments()
    g.add_staging()
    g.number_deployments()
    g.ship_changes()
    g.name_changes()
    g.size_changes()
    g.review_changes()
    runs = g.ci_runs()
    survey = g.survey()
    check_postmortems(g.deployments)
    return {
        "teams.yaml": write_teams(),
        "services.yaml": write_services(),
        "deployments.csv": write_deployments(g.deployments),
        "incidents.yaml": write_incidents(),
        "pull_requests.jsonl": write_changes(g.changes),
        "ci_runs.csv": write_ci_runs(runs),
        "iterations.yaml": write_iterations(),
        "goals.yaml": write_goals(),
        "surveys/westrum.csv": write_survey(survey),
    }


def main(argv: list[str]) -> int:
    files = build()
    if "--check" in argv:
        stale = [name for name, text in files.items()
                 if not (ORG / name).is_file() or (ORG / name).read_bytes() != text.encode()]
        for name in stale:
            print(f"would change: org/{name}")
        return 1 if stale else 0
    for name, text in files.items():
        path = ORG / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))  # bytes: no newline translation anywhere
        print(f"wrote org/{name} ({len(text.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
