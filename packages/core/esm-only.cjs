'use strict'
// `require('@gen-cluster/core')` lands here: the "require" condition of package.json "exports".
class EsmOnlyError extends Error {
  name = 'EsmOnlyError'
}
throw new EsmOnlyError("@gen-cluster/core is an ES module only: use `import { ... } from '@gen-cluster/core'`, or from CommonJS `await import('@gen-cluster/core')`")
