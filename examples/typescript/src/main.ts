// NPS by touchpoint kind over 2025, and the detractors who have stopped ordering since: the same report
// as the Python example, from the types GraphQL Code Generator made of schema.graphql.
//
//   CUSTOMER_INSIGHTS_URL=http://127.0.0.1:8080/graphql CUSTOMER_INSIGHTS_API_KEY=cik_... npm start
//
// Without CUSTOMER_INSIGHTS_API_KEY it calls the open demo server. An ANALYST key is enough.
import { NpsByTouchpointKindDocument, QuietDetractorsDocument } from "./generated/graphql.js";
import type { QuietDetractorsQuery, TypedDocumentString } from "./generated/graphql.js";

const url = process.env.CUSTOMER_INSIGHTS_URL ?? "http://127.0.0.1:8080/graphql";
const key = process.env.CUSTOMER_INSIGHTS_API_KEY;
const year = 2025;
const pageSize = 5;
const pages = 2;

interface GraphqlError {
  message: string;
  extensions?: { code?: string };
}

/** Sends one operation; its variables and its result are typed by the document. */
async function execute<Result, Variables>(
  document: TypedDocumentString<Result, Variables>,
  variables: Variables,
): Promise<Result> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/graphql-response+json",
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
    body: JSON.stringify({ query: document.toString(), variables }),
  });
  const body = (await response.json()) as { data?: Result | null; errors?: GraphqlError[] };
  if (body.errors?.length || !body.data) {
    const errors = (body.errors ?? []).map((e) => `${e.extensions?.code ?? "ERROR"}: ${e.message}`);
    throw new Error(`HTTP ${response.status}: ${errors.join("; ")}`);
  }
  return body.data;
}

const number = (value: number | null | undefined) => (value == null ? "-" : value.toFixed(1));

async function npsByTouchpointKind(): Promise<void> {
  const data = await execute(NpsByTouchpointKindDocument, {
    from: `${year}-01-01T00:00:00Z`,
    to: `${year + 1}-01-01T00:00:00Z`,
  });
  console.log(`NPS by touchpoint kind, ${year}`);
  console.log(`${"touchpoint kind".padEnd(18)}${"NPS".padStart(7)}${"n".padStart(6)}  95% interval`);
  for (const row of data.insights.satisfaction) {
    const { score } = row;
    const interval = score.interval ? `[${number(score.interval.lower)}, ${number(score.interval.upper)}]` : "-";
    const low = score.lowSample ? "  low sample" : "";
    const kind = row.touchpointKind ?? "(relationship)";
    console.log(`${kind.padEnd(18)}${number(score.value).padStart(7)}${String(score.n).padStart(6)}  ${interval}${low}`);
  }
}

async function quietDetractors(): Promise<void> {
  const asOf = `${year + 1}-01-01T00:00:00Z`;
  let after: string | null = null;
  for (let page = 0; page < pages; page++) {
    // Annotated: `after` is read here and assigned from the result below.
    const { customers }: QuietDetractorsQuery = await execute(QuietDetractorsDocument, { asOf, first: pageSize, after });
    if (page === 0) {
      console.log(`Detractors without an order in the 180 days before ${asOf.slice(0, 10)}: ${customers.totalCount}`);
      console.log(`${"customer".padEnd(12)}${"segment".padEnd(12)}${"region".padEnd(8)}${"orders".padStart(6)}  ${"last order".padEnd(12)}spend`);
    }
    for (const customer of customers.nodes) {
      const summary = customer.orderSummary;
      const spend = summary.spend.map((s) => `${s.totalSpent.amount} ${s.totalSpent.currency}`).join(", ");
      const last = (summary.lastOrderAt ?? "").slice(0, 10);
      console.log(
        `${customer.externalId.padEnd(12)}${customer.segment.padEnd(12)}${customer.region.padEnd(8)}` +
          `${String(summary.orderCount).padStart(6)}  ${last.padEnd(12)}${spend}`,
      );
    }
    if (!customers.pageInfo.hasNextPage) break;
    after = customers.pageInfo.endCursor ?? null;
  }
}

await npsByTouchpointKind();
console.log();
await quietDetractors();
