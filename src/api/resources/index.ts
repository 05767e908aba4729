/** Every resource module's routes, registered on the API. */
import type { Routes } from '../router.ts';
import { registerCustomers } from './customers.ts';
import { registerTestClocks } from './test-clocks.ts';

export function registerResources(routes: Routes): void {
  registerCustomers(routes);
  registerTestClocks(routes);
}
