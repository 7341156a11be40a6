'use strict'
// `require('@gen-cluster/cluster')` lands here: the "require" condition of package.json "exports".
class EsmOnlyError extends Error {
  name = 'EsmOnlyError'
}
throw new EsmOnlyError("@gen-cluster/cluster is an ES module only: use `import { ... } from '@gen-cluster/cluster'`, or from CommonJS `await import('@gen-cluster/cluster')`")
