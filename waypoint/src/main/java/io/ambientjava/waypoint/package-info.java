/** The waypoint: an L7 proxy configured by Envoy xDS, carrying mesh traffic in and out over HBONE. */
package io.ambientjava.waypoint;
