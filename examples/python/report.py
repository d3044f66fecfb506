"""NPS by touchpoint kind over a year, and the detractors who have stopped ordering since, from a
customer-insights server, with the `gql` client that BI notebooks use.

    python report.py [--url URL] [--key KEY] [--year YEAR]

The URL and the API key default to the environment variables CUSTOMER_INSIGHTS_URL (else
http://127.0.0.1:8080/graphql) and CUSTOMER_INSIGHTS_API_KEY (else none: the open demo server).
An ANALYST key is enough: the report reads no personal data.
"""

import argparse
import os

from gql import Client, GraphQLRequest, gql
from gql.transport.requests import RequestsHTTPTransport

NPS_BY_TOUCHPOINT_KIND = gql(
    """
    query NpsByTouchpointKind($from: DateTime!, $to: DateTime!) {
      insights {
        satisfaction(metric: NPS, groupBy: [TOUCHPOINT_KIND], filter: { period: { from: $from, to: $to } }) {
          touchpointKind
          score { value n lowSample interval { lower upper } }
        }
      }
    }
    """
)

# Customers whose latest NPS answer is a detractor's and who have not ordered in the 180 days before
# `asOf`, most orders first: who to call back.
QUIET_DETRACTORS = gql(
    """
    query QuietDetractors($asOf: DateTime!, $first: Int!, $after: String) {
      customers(first: $first, after: $after,
                filter: { latestNpsCategories: [DETRACTOR], inactiveWindowDays: 180, asOf: $asOf },
                orderBy: { field: ORDER_COUNT, direction: DESC }) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes {
          externalId segment region
          orderSummary(asOf: $asOf) { orderCount lastOrderAt spend { totalSpent { amount currency } } }
        }
      }
    }
    """
)

PAGE_SIZE = 5
PAGES = 2


def client(url: str, key: str | None) -> Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return Client(transport=RequestsHTTPTransport(url=url, headers=headers, timeout=30))


def number(value: float | None) -> str:
    """One decimal, or `-` for a figure that is unknown (null: no answers, or too few for an interval)."""
    return "-" if value is None else f"{value:.1f}"


def run(session, query: GraphQLRequest, **variables):
    return session.execute(GraphQLRequest(query, variable_values=variables))


def nps_by_touchpoint_kind(session, year: int) -> None:
    data = run(session, NPS_BY_TOUCHPOINT_KIND, **{"from": f"{year}-01-01T00:00:00Z", "to": f"{year + 1}-01-01T00:00:00Z"})
    print(f"NPS by touchpoint kind, {year}")
    print(f"{'touchpoint kind':<18}{'NPS':>7}{'n':>6}  95% interval")
    for row in data["insights"]["satisfaction"]:
        kind = row["touchpointKind"] or "(relationship)"
        score = row["score"]
        bounds = score["interval"]
        interval = f"[{number(bounds['lower'])}, {number(bounds['upper'])}]" if bounds else "-"
        low = "  low sample" if score["lowSample"] else ""
        print(f"{kind:<18}{number(score['value']):>7}{score['n']:>6}  {interval}{low}")


def quiet_detractors(session, year: int) -> None:
    as_of = f"{year + 1}-01-01T00:00:00Z"
    after = None
    for page in range(PAGES):
        data = run(session, QUIET_DETRACTORS, asOf=as_of, first=PAGE_SIZE, after=after)["customers"]
        if page == 0:
            print(f"Detractors without an order in the 180 days before {as_of[:10]}: {data['totalCount']}")
            print(f"{'customer':<12}{'segment':<12}{'region':<8}{'orders':>6}  {'last order':<12}spend")
        for customer in data["nodes"]:
            summary = customer["orderSummary"]
            spend = ", ".join(f"{s['totalSpent']['amount']} {s['totalSpent']['currency']}" for s in summary["spend"])
            last = (summary["lastOrderAt"] or "")[:10]
            print(
                f"{customer['externalId']:<12}{customer['segment']:<12}{customer['region']:<8}"
                f"{summary['orderCount']:>6}  {last:<12}{spend}"
            )
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("CUSTOMER_INSIGHTS_URL", "http://127.0.0.1:8080/graphql"))
    parser.add_argument("--key", default=os.environ.get("CUSTOMER_INSIGHTS_API_KEY"))
    parser.add_argument("--year", type=int, default=2025)
    args = parser.parse_args()
    with client(args.url, args.key) as session:
        nps_by_touchpoint_kind(session, args.year)
        print()
        quiet_detractors(session, args.year)


if __name__ == "__main__":
    main()
