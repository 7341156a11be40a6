'use strict'
// `require('@gen-cluster/cli')` lands here: the "require" condition of package.json "exports".
class EsmOnlyError extends Error {
  name = 'EsmOnlyError'
}
throw new EsmOnlyError("@gen-cluster/cli is an ES module only: use `import { ... } from '@gen-cluster/cli'`, or from CommonJS `await import('@gen-cluster/cli')`")
