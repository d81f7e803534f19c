/**
 * A STATIC token credential for the Azure Key Vault stand-in only (seeding data as
 * its `admin` identity): it asks the stand-in's managed identity endpoint directly,
 * so the library's own DefaultAzureCredential (and its token cache) stays untouched.
 */
import { httpsRequest } from '../../scripts/secrets/tls.js';

export function standInAdminCredential(identityEndpoint: string, header: string, ca: string) {
  return {
    async getToken(): Promise<{ token: string; expiresOnTimestamp: number }> {
      const url = `${identityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent('https://vault.azure.net')}`;
      const res = await httpsRequest(url, { ca, headers: { 'x-identity-header': header } });
      if (res.status !== 200) throw new Error(`stand-in token endpoint: HTTP ${res.status}`);
      const body = JSON.parse(res.text) as { access_token: string; expires_on: string };
      return { token: body.access_token, expiresOnTimestamp: Number(body.expires_on) * 1000 };
    },
  };
}
