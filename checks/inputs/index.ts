import cluster from './cluster.js';
import manifests from './manifests.js';

export const inputsChecks = [manifests, cluster];
