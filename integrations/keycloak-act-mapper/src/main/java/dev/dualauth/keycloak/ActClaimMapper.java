/*
 * Copyright dual-auth contributors. Licensed under the Apache License, Version 2.0.
 */
package dev.dualauth.keycloak;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.ws.rs.core.MultivaluedMap;

import org.jboss.logging.Logger;
import org.keycloak.OAuth2Constants;
import org.keycloak.http.HttpRequest;
import org.keycloak.jose.jws.JWSInput;
import org.keycloak.models.AuthenticatedClientSessionModel;
import org.keycloak.models.ClientModel;
import org.keycloak.models.ClientSessionContext;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.ProtocolMapperModel;
import org.keycloak.models.UserSessionModel;
import org.keycloak.protocol.oidc.mappers.AbstractOIDCProtocolMapper;
import org.keycloak.protocol.oidc.mappers.OIDCAccessTokenMapper;
import org.keycloak.protocol.oidc.mappers.OIDCAttributeMapperHelper;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.representations.AccessToken;
import org.keycloak.representations.IDToken;
import org.keycloak.representations.JsonWebToken;

/**
 * Puts the {@code act} claim into the access token, in one of two cases:
 * <ol>
 *   <li><b>client credentials</b> (the reference mode): {@code act} is copied from the
 *       client assertion that authenticated this token request, so the agent names the
 *       person;</li>
 *   <li><b>standard token exchange</b> (RFC 8693): the person is the token's {@code sub},
 *       taken by Keycloak from the person's own (verified) subject token, and {@code act}
 *       names the party acting for them: {@code act: { sub: <the requesting client id> }}.
 *       Anything the client assertion says about {@code act} is ignored here, so the agent
 *       cannot name another person or another actor.</li>
 * </ol>
 *
 * <p>Why a custom mapper: Keycloak's "User Attribute" mapper reads attributes of the
 * service-account user, never the client assertion, so it cannot carry the human
 * identity the agent asserts per request; and Keycloak's standard token exchange
 * (version 2) issues no {@code act} claim of its own.
 *
 * <p>Safety rules (all must hold, otherwise the token gets no {@code act}):
 * <ul>
 *   <li>the token is issued to the very client that authenticated this request;</li>
 *   <li>client credentials: the client's authenticator is a signed-JWT one
 *       ({@code client-secret-jwt} or {@code client-jwt}): Keycloak's client
 *       authentication flow only succeeds with the client's configured authenticator, so
 *       the {@code client_assertion} form parameter of this request has already been
 *       verified (signature, {@code exp}, {@code aud}, single use of {@code jti}); the
 *       assertion's {@code iss} and {@code sub} are that client's id (so an assertion of
 *       another client, e.g. a resource server calling introspection, is never used); and
 *       {@code act} is a JSON object whose {@code sub} is a non-empty string other than the
 *       client's own id (an act naming the client itself would make the client's own token look
 *       like RFC 8693 delegation);</li>
 *   <li>token exchange: the grant is {@code urn:ietf:params:oauth:grant-type:token-exchange}
 *       and the token's subject is a user other than the client's own service account.</li>
 * </ul>
 * Other grants (password, authorization code, refresh) get no {@code act}.
 * Only access tokens are touched (no ID token, userinfo or introspection).
 * Nothing from the request is logged.
 */
public class ActClaimMapper extends AbstractOIDCProtocolMapper implements OIDCAccessTokenMapper {

    public static final String PROVIDER_ID = "dual-auth-act-mapper";
    public static final String ACT_CLAIM = "act";

    private static final Logger LOG = Logger.getLogger(ActClaimMapper.class);
    private static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    private static final String TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
    private static final Set<String> SIGNED_JWT_AUTHENTICATORS = Set.of("client-secret-jwt", "client-jwt");
    private static final List<ProviderConfigProperty> CONFIG_PROPERTIES = new ArrayList<>();

    static {
        // Adds the "Add to access token" / "Add to lightweight access token" switches
        // (only the ones matching the interfaces this class implements).
        OIDCAttributeMapperHelper.addIncludeInTokensConfig(CONFIG_PROPERTIES, ActClaimMapper.class);
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public String getDisplayType() {
        return "dual-auth act from client assertion";
    }

    @Override
    public String getDisplayCategory() {
        return TOKEN_MAPPER_CATEGORY;
    }

    @Override
    public String getHelpText() {
        return "Client credentials: copies the 'act' object (the human the agent acts for) from the "
                + "verified signed-JWT client assertion into the access token (requires the client "
                + "authenticator 'Signed JWT with client secret' or 'Signed JWT'). Token exchange: sets "
                + "act.sub to the requesting client, beside sub = the user of the subject token.";
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return CONFIG_PROPERTIES;
    }

    @Override
    protected void setClaim(IDToken token, ProtocolMapperModel mappingModel, UserSessionModel userSession,
                            KeycloakSession session, ClientSessionContext clientSessionCtx) {
        if (!(token instanceof AccessToken)) {
            return;
        }
        Map<?, ?> act = TOKEN_EXCHANGE.equals(grantType(session))
                ? actForTokenExchange(session, userSession, clientSessionCtx)
                : actFromVerifiedAssertion(session, clientSessionCtx);
        if (act != null) {
            token.getOtherClaims().put(ACT_CLAIM, act);
        }
    }

    /**
     * Token exchange: {@code { sub: <requesting client id> }} when the token goes to the client that
     * authenticated this request and its subject is a user (not that client's service account).
     */
    static Map<?, ?> actForTokenExchange(KeycloakSession session, UserSessionModel userSession,
                                         ClientSessionContext clientSessionCtx) {
        ClientModel client = authenticatedTokenClient(session, clientSessionCtx);
        if (client == null || userSession == null || userSession.getUser() == null) {
            return null;
        }
        String serviceAccountOf = userSession.getUser().getServiceAccountClientLink();
        if (serviceAccountOf != null && serviceAccountOf.equals(client.getId())) {
            return null; // the client acting for itself: no one to act for
        }
        return Map.of("sub", client.getClientId());
    }

    /** The act object of this request's verified client assertion (client credentials only), or null. */
    static Map<?, ?> actFromVerifiedAssertion(KeycloakSession session, ClientSessionContext clientSessionCtx) {
        if (!OAuth2Constants.CLIENT_CREDENTIALS.equals(grantType(session))) {
            return null;
        }
        ClientModel client = authenticatedTokenClient(session, clientSessionCtx);
        if (client == null || !SIGNED_JWT_AUTHENTICATORS.contains(client.getClientAuthenticatorType())) {
            return null;
        }
        String assertion = clientAssertion(session);
        if (assertion == null) {
            return null;
        }
        JsonWebToken jwt;
        try {
            jwt = new JWSInput(assertion).readJsonContent(JsonWebToken.class);
        } catch (Exception e) {
            // Cannot happen after a successful client authentication; stay silent on content.
            LOG.debugf("act mapper: client assertion not decodable (%s)", e.getClass().getSimpleName());
            return null;
        }
        if (jwt == null || !client.getClientId().equals(jwt.getIssuer())
                || !client.getClientId().equals(jwt.getSubject())) {
            return null;
        }
        Map<?, ?> act = validAct(jwt.getOtherClaims().get(ACT_CLAIM));
        // An act naming the client itself would read as RFC 8693 delegation ("this client acts
        // for sub", with sub = its own service account): the agent's own token posing as delegated.
        if (act != null && client.getClientId().equals(act.get("sub"))) {
            return null;
        }
        return act;
    }

    /** Returns the value when it is an object with a non-empty string sub, else null. */
    static Map<?, ?> validAct(Object act) {
        if (!(act instanceof Map<?, ?> map)) {
            return null;
        }
        Object sub = map.get("sub");
        if (!(sub instanceof String s) || s.isEmpty()) {
            return null;
        }
        return map;
    }

    /** The client the token is issued to, when it is also the client that authenticated this request. */
    private static ClientModel authenticatedTokenClient(KeycloakSession session, ClientSessionContext clientSessionCtx) {
        if (clientSessionCtx == null) {
            return null;
        }
        AuthenticatedClientSessionModel clientSession = clientSessionCtx.getClientSession();
        ClientModel client = clientSession == null ? null : clientSession.getClient();
        ClientModel authenticated = session.getContext().getClient();
        if (client == null || authenticated == null || !client.getId().equals(authenticated.getId())) {
            return null;
        }
        return client;
    }

    private static String grantType(KeycloakSession session) {
        MultivaluedMap<String, String> form = form(session);
        return form == null ? null : form.getFirst(OAuth2Constants.GRANT_TYPE);
    }

    private static String clientAssertion(KeycloakSession session) {
        MultivaluedMap<String, String> form = form(session);
        if (form == null || !JWT_BEARER.equals(form.getFirst(OAuth2Constants.CLIENT_ASSERTION_TYPE))) {
            return null;
        }
        return form.getFirst(OAuth2Constants.CLIENT_ASSERTION);
    }

    private static MultivaluedMap<String, String> form(KeycloakSession session) {
        HttpRequest request = session.getContext().getHttpRequest();
        if (request == null) {
            return null;
        }
        try {
            return request.getDecodedFormParameters();
        } catch (RuntimeException e) {
            return null; // not a form request
        }
    }
}
