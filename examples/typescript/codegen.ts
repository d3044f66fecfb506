// Generates src/generated/ from the server's schema (schema.graphql at the repository's root) and the
// operations in src/operations/: a TypeScript type for every operation's variables and result, and each
// operation as a typed document string that fetch can send as it is.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: ["src/operations/*.graphql"],
  emitLegacyCommonJSImports: false,
  generates: {
    "src/generated/": {
      preset: "client",
      config: {
        documentMode: "string",
        enumsAsTypes: true,
        useTypeImports: true,
        // The API's custom scalars, as JSON carries them.
        scalars: { DateTime: "string", Decimal: "string", CurrencyCode: "string" },
      },
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;
