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
 * Copies the {@code act} claim of the client assertion that authenticated this token
 * request into the access token.
 *
 * <p>Why a custom mapper: Keycloak's "User Attribute" mapper reads attributes of the
 * service-account user, never the client assertion, so it cannot carry the human
 * identity the agent asserts per request.
 *
 * <p>Safety rules (all must hold, otherwise the token gets no {@code act}):
 * <ul>
 *   <li>the client's authenticator is a signed-JWT one ({@code client-secret-jwt} or
 *       {@code client-jwt}): Keycloak's client authentication flow only succeeds with
 *       the client's configured authenticator, so the {@code client_assertion} form
 *       parameter of this request has already been verified (signature, {@code exp},
 *       {@code aud}, single use of {@code jti});</li>
 *   <li>the request is a jwt-bearer client assertion request, authenticated as the
 *       very client the token is issued to, and the assertion's {@code iss} and
 *       {@code sub} are that client's id (so an assertion of another client, e.g. a
 *       resource server calling introspection, is never used);</li>
 *   <li>{@code act} is a JSON object whose {@code sub} is a non-empty string.</li>
 * </ul>
 * Only access tokens are touched (no ID token, userinfo or introspection).
 * Nothing from the assertion is logged.
 */
public class ActClaimMapper extends AbstractOIDCProtocolMapper implements OIDCAccessTokenMapper {

    public static final String PROVIDER_ID = "dual-auth-act-mapper";
    public static final String ACT_CLAIM = "act";

    private static final Logger LOG = Logger.getLogger(ActClaimMapper.class);
    private static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
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
        return "Copies the 'act' object (the human the agent acts for) from the verified signed-JWT "
                + "client assertion into the access token. Requires the client authenticator "
                + "'Signed JWT with client secret' or 'Signed JWT'.";
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
        Map<?, ?> act = actFromVerifiedAssertion(session, clientSessionCtx);
        if (act != null) {
            token.getOtherClaims().put(ACT_CLAIM, act);
        }
    }

    /** The act object of this request's verified client assertion, or null. */
    static Map<?, ?> actFromVerifiedAssertion(KeycloakSession session, ClientSessionContext clientSessionCtx) {
        ClientModel client = tokenClient(clientSessionCtx);
        if (client == null || !SIGNED_JWT_AUTHENTICATORS.contains(client.getClientAuthenticatorType())) {
            return null;
        }
        ClientModel authenticated = session.getContext().getClient();
        if (authenticated == null || !client.getId().equals(authenticated.getId())) {
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
        return validAct(jwt.getOtherClaims().get(ACT_CLAIM));
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

    private static ClientModel tokenClient(ClientSessionContext clientSessionCtx) {
        if (clientSessionCtx == null) {
            return null;
        }
        AuthenticatedClientSessionModel clientSession = clientSessionCtx.getClientSession();
        return clientSession == null ? null : clientSession.getClient();
    }

    private static String clientAssertion(KeycloakSession session) {
        HttpRequest request = session.getContext().getHttpRequest();
        if (request == null) {
            return null;
        }
        MultivaluedMap<String, String> form;
        try {
            form = request.getDecodedFormParameters();
        } catch (RuntimeException e) {
            return null; // not a form request
        }
        if (form == null || !JWT_BEARER.equals(form.getFirst(OAuth2Constants.CLIENT_ASSERTION_TYPE))) {
            return null;
        }
        return form.getFirst(OAuth2Constants.CLIENT_ASSERTION);
    }
}
